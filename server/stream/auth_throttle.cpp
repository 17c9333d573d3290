#include "server/stream/auth_throttle.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace server {

namespace {
// Failures older than this are forgiven.
constexpr auto forget_after = std::chrono::minutes(10);
constexpr auto max_delay = std::chrono::milliseconds(8000);

std::string block_of(const std::string& address) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(address, ec);
    if (ec || !a.is_v6() || a.to_v6().is_v4_mapped()) return address;
    auto bytes = a.to_v6().to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}
}  // namespace

std::chrono::milliseconds auth_throttle::failed(const std::string& address) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (by_address_.size() > 100000) {
        // Bound memory under a spray of addresses: drop the stale records.
        std::erase_if(by_address_,
                      [&](const auto& kv) { return now - kv.second.last > forget_after; });
    }
    auto& r = by_address_[block_of(address)];
    if (now - r.last > forget_after) r.failures = 0;
    r.last = now;
    ++r.failures;
    if (r.failures <= free_failures_) return std::chrono::milliseconds(0);
    // 250 ms, 500 ms, 1 s, ... capped.
    unsigned extra = std::min(r.failures - free_failures_ - 1, 10u);
    return std::min(std::chrono::milliseconds(250) * (1u << extra), max_delay);
}

}  // namespace server
