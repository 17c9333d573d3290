#include "bench/load/latency_marker.hpp"

#include <algorithm>
#include <chrono>

namespace bench {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string marker(std::int64_t ns) {
    return "PB:" + std::to_string(ns) + ":";
}

double percentile_ms(std::vector<std::int64_t>& latencies_ns, double p) {
    auto& v = latencies_ns;
    if (v.empty()) return 0;
    auto k = std::size_t(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return double(v[k]) / 1e6;
}

void marker_scanner::scan(std::string_view chunk, const std::function<void(std::int64_t)>& found) {
    std::string joined;
    std::string_view data = chunk;
    if (!carry_.empty()) {
        joined = carry_ + std::string(chunk);
        data = joined;
        carry_.clear();
    }
    std::size_t pos = 0;
    for (;;) {
        auto at = data.find("PB:", pos);
        if (at == std::string_view::npos) break;
        std::size_t i = at + 3;
        std::int64_t v = 0;
        while (i < data.size() && data[i] >= '0' && data[i] <= '9') v = v * 10 + (data[i++] - '0');
        if (i == data.size()) {  // cut off: finish it with the next chunk
            carry_ = std::string(data.substr(at));
            return;
        }
        if (data[i] == ':' && i > at + 3) found(v);
        pos = i;
    }
    // A marker may start in the last two bytes ("P" or "PB").
    for (std::size_t keep = 2; keep > 0; --keep)
        if (data.size() >= keep &&
            std::string_view("PB:").substr(0, keep) == data.substr(data.size() - keep)) {
            carry_ = std::string(data.substr(data.size() - keep));
            break;
        }
}

}  // namespace bench
