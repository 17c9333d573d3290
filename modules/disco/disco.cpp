// XEP-0030 Service Discovery. disco#info is assembled from what every module
// registered (features, identities), never from a hand-kept list; disco#items for
// the server lists nothing until components (MUC, upload) exist.
#include "modules/disco/disco.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_items = "http://jabber.org/protocol/disco#items";

class disco final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx.add_feature(ns_info);
        ctx.add_feature(ns_items);
        ctx.add_identity({"server", "im", "Parley"});
        auto& c = ctx;
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_info), "query"},
                  [&c](const server::iq_request& req) { answer_host_info(c, req); });
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, {std::string(ns_info), "query"},
                  [](const server::iq_request& req) { answer_account_info(req); });
        auto no_items = [](const server::iq_request& req) {
            xml::builder q(ns_items, "query");
            if (auto node = req.payload().attr("node")) q.attr("node", *node);
            req.reply(q.done());
        };
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_items), "query"},
                  no_items);
        // An account's items only to the account itself, as for disco#info below.
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, {std::string(ns_items), "query"},
                  [no_items](const server::iq_request& req) {
                      if (req.from().bare() != req.to().bare())
                          return req.error(xml::error_condition::service_unavailable);
                      no_items(req);
                  });
    }

  private:
    static void answer_host_info(server::module_context& ctx, const server::iq_request& req) {
        // Nodes are not supported yet: XEP-0030 §3.1 item-not-found.
        if (req.payload().attr("node")) return req.error(xml::error_condition::item_not_found);
        xml::builder q(ns_info, "query");
        for (const auto& id : ctx.identities()) {
            xml::builder i(ns_info, "identity");
            i.attr("category", id.category).attr("type", id.type);
            if (!id.name.empty()) i.attr("name", id.name);
            q.child(i);
        }
        for (const auto& f : ctx.features())
            q.child(xml::builder(ns_info, "feature").attr("var", f));
        req.reply(q.done());
    }

    // XEP-0030 §3.2 / XEP-0115 practice: the server answers for an account with the
    // account/registered identity. Only the owner gets it; others learn nothing
    // about whether the account exists (RFC 6121 §8.5.2.1.3 style).
    static void answer_account_info(const server::iq_request& req) {
        if (req.from().bare() != req.to().bare())
            return req.error(xml::error_condition::service_unavailable);
        xml::builder q(ns_info, "query");
        q.child(xml::builder(ns_info, "identity")
                    .attr("category", "account")
                    .attr("type", "registered"));
        req.reply(q.done());
    }
};

}  // namespace

server::module_info disco_module_info() {
    return {"disco", {{"XEP-0030", "2.5rc3"}}, [] { return std::make_unique<disco>(); }};
}

}  // namespace modules
