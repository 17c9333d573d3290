#include "server/storage_executor.hpp"

#include <memory>
#include <stdexcept>

namespace server {

namespace {
// One connection per storage thread. A thread only ever serves one database (the
// server has one storage_executor), so a plain thread_local is enough.
thread_local std::unique_ptr<storage::database> thread_db;
}  // namespace

storage_executor::storage_executor(std::string db_path, unsigned threads)
    : path_(std::move(db_path)), pool_(threads == 0 ? 1 : threads) {
    // Enough strands that unrelated accounts rarely share one.
    for (int i = 0; i < 64; ++i) strands_.push_back(asio::make_strand(pool_.get_executor()));
}

storage_executor::~storage_executor() {
    join();
}

storage::database& storage_executor::db() {
    if (!thread_db) {
        auto opened = storage::database::open(path_);
        if (!opened) throw std::runtime_error("cannot open database: " + opened.error().message);
        thread_db = std::move(opened.value());
    }
    return *thread_db;
}

void storage_executor::join() {
    // Connections close with their threads' thread_local destructors.
    pool_.join();
}

}  // namespace server
