#include "server/stream/write_batch.hpp"

namespace server {

namespace {
thread_local bool open = false;
thread_local std::vector<std::shared_ptr<batched_writer>> joined;
}  // namespace

write_batch::write_batch() : outermost_(!open) {
    open = true;
}

write_batch::~write_batch() {
    if (!outermost_) return;
    // Closed before writing: what a write queues now (a failed write's cleanup)
    // cannot join a batch that is already being written out.
    open = false;
    // Moved out: a write may open (and close) a batch of its own.
    auto writers = std::move(joined);
    joined.clear();
    for (auto& w : writers) w->write_now();
    writers.clear();
    joined.swap(writers);  // the memory kept for the next batch
}

bool write_batch::join(std::shared_ptr<batched_writer> w) {
    if (!open) return false;
    joined.push_back(std::move(w));
    return true;
}

}  // namespace server
