// XEP-0202 Entity Time: the server's UTC time (XEP-0082 format).
#include "modules/time/time.hpp"

#include "xml/datetime.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_time = "urn:xmpp:time";

class entity_time final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx.add_feature(ns_time);
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_time), "time"},
                  [](const server::iq_request& req) {
                      req.reply(xml::builder(ns_time, "time")
                                    .text_child(ns_time, "tzo", "+00:00")
                                    .text_child(ns_time, "utc", xml::datetime())
                                    .done());
                  });
    }
};

}  // namespace

server::module_info time_module_info() {
    return {"time", {{"XEP-0202", "2.0"}}, [] { return std::make_unique<entity_time>(); }};
}

}  // namespace modules
