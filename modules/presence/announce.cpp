#include "modules/presence/announce.hpp"

namespace modules {

void announce_presence(server::module_context& ctx, const xml::jid& account, const xml::jid& to) {
    for (const auto& r : ctx.available_resources(account))
        if (r.presence) ctx.send(xml::stanza(r.presence).with_addresses(r.full.str(), to.str()));
}

void announce_unavailable(server::module_context& ctx, const xml::jid& account,
                          const xml::jid& to) {
    for (const auto& r : ctx.available_resources(account))
        ctx.send(xml::builder("jabber:client", "presence")
                     .attr("type", "unavailable")
                     .attr("from", r.full.str())
                     .attr("to", to.str())
                     .done());
}

}  // namespace modules
