#include "modules/common/push_audience.hpp"

namespace modules {

void push_audience::join(const xml::jid& full) {
    std::lock_guard lock(mu_);
    members_.insert(full.str());
}

void push_audience::leave(const xml::jid& full) {
    std::lock_guard lock(mu_);
    members_.erase(full.str());
}

void push_audience::push(server::module_context& ctx, const xml::jid& account,
                         const xml::element_ptr& payload) {
    for (const auto& full : ctx.bound_resources(account)) {
        {
            std::lock_guard lock(mu_);
            if (!members_.count(full.str())) continue;
        }
        ctx.send(xml::builder("jabber:client", "iq")
                     .attr("type", "set")
                     .attr("id", id_prefix_ + std::to_string(++next_id_))
                     .attr("from", account.str())
                     .attr("to", full.str())
                     .child(payload)
                     .done());
    }
}

}  // namespace modules
