// XEP-0199 XMPP Ping: answer pings to the server (and, on the account's behalf,
// to a bare JID) with an empty result.
#include "modules/ping/ping.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_ping = "urn:xmpp:ping";

class ping final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx.add_feature(ns_ping);
        auto pong = [](const server::iq_request& req) { req.reply(); };
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_ping), "ping"},
                  pong);
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, {std::string(ns_ping), "ping"},
                  pong);
    }
};

}  // namespace

server::module_info ping_module_info() {
    return {"ping", {{"XEP-0199", "2.0.1"}}, [] { return std::make_unique<ping>(); }};
}

}  // namespace modules
