// XEP-0202 Entity Time: the server's UTC time (XEP-0082 format).
#include "modules/time/time.hpp"

#include <chrono>
#include <ctime>

namespace modules {
namespace {

constexpr std::string_view ns_time = "urn:xmpp:time";

std::string utc_now() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
    return buf;
}

class entity_time final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx.add_feature(ns_time);
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_time), "time"},
                  [](const server::iq_request& req) {
                      req.reply(xml::builder(ns_time, "time")
                                    .text_child(ns_time, "tzo", "+00:00")
                                    .text_child(ns_time, "utc", utc_now())
                                    .done());
                  });
    }
};

}  // namespace

server::module_info time_module_info() {
    return {"time", {{"XEP-0202", "2.0"}}, [] { return std::make_unique<entity_time>(); }};
}

}  // namespace modules
