// XEP-0199 XMPP Ping: answer pings to the server, and an account's pings to its
// own bare JID, with an empty result. Anyone else pinging a bare JID gets
// <service-unavailable/>, whether or not the account exists (RFC 6121 §8.5.1,
// §8.5.2.1.3: nothing tells a stranger which accounts exist).
#include "modules/ping/ping.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_ping = "urn:xmpp:ping";

class ping final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx.add_feature(ns_ping);
        auto pong = [](const server::iq_request& req) { req.reply(); };
        auto own_pong = [](const server::iq_request& req) {
            if (req.from().bare() != req.to().bare())
                return req.error(xml::error_condition::service_unavailable);
            req.reply();
        };
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_ping), "ping"},
                  pong);
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, {std::string(ns_ping), "ping"},
                  own_pong);
    }
};

}  // namespace

server::module_info ping_module_info() {
    return {"ping", {{"XEP-0199", "2.0.1"}}, [] { return std::make_unique<ping>(); }};
}

}  // namespace modules
