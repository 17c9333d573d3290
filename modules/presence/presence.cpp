// RFC 6121 §4: presence broadcast to subscribers, probes on initial presence,
// answers to probes, and directed presence undone when the resource leaves.
#include "modules/presence/presence.hpp"

#include "modules/presence/announce.hpp"
#include "modules/presence/presence_module.hpp"
#include "modules/roster/roster.hpp"
#include "server/log.hpp"
#include "server/storage_executor.hpp"
#include "storage/accounts.hpp"

namespace modules {

using server::handled;

void presence_module::start(server::module_context& ctx) {
    ctx_ = &ctx;
    book_ = roster_book_of(ctx);
    ctx.on<server::client_stanza>([this](server::client_stanza& ev) {
        return ev.kind == xml::stanza_kind::presence ? outbound(ev.s) : handled::no;
    });
    ctx.on<server::account_stanza>([this](server::account_stanza& ev) {
        return ev.kind == xml::stanza_kind::presence ? inbound(ev.s) : handled::no;
    });
    ctx.on<server::account_removed>([this](server::account_removed& ev) {
        auto account = xml::jid::make(ev.user, ev.host);
        if (!account) return handled::no;
        book_->in_order(*account, [this, key = account->str()] {
            std::lock_guard lock(mu_);
            last_unavailable_.erase(key);
        });
        return handled::no;
    });
    ctx.on<server::session_bound>([this](server::session_bound& ev) {
        // A bind that replaced a session of the same full JID starts afresh:
        // its first presence is initial again (probes, pending requests).
        book_->in_order(ev.full, [this, full = ev.full] {
            std::lock_guard lock(mu_);
            resources_.erase(full.str());
        });
        return handled::no;
    });
}

handled presence_module::outbound(const server::routed_stanza& s) {
    auto type = s.el->attr_or("type", "");
    if (auto sub = parse_sub_type(type)) {
        // RFC 6121 §3: subscription requests and answers go from the bare JID,
        // after the user's roster has changed.
        auto contact = s.to.bare();
        if (contact.empty() || contact == s.from.bare() || contact.is_domain()) return handled::yes;
        book_->with(s.from, [this, contact, t = *sub, el = s.el](roster_txn* txn) {
            if (txn) outbound_subscription(*txn, contact, t, el);
        });
        return handled::yes;
    }
    if (type != "" && type != "unavailable") return handled::no;  // probe, error: routed as is
    if (!s.to.empty()) {
        track_directed(s.from, s.to, type.empty());
        return handled::no;
    }
    // RFC 6121 §4.2.2 / §4.4.2 / §4.5.2: broadcast to the contacts that
    // subscribed; the router still delivers it to the account's own resources.
    book_->with(s.from, [this, el = s.el, full = s.from](roster_txn* txn) {
        if (!txn) return server::log::error("presence", "no roster for ", full.str());
        broadcast(*txn, el, full);
    });
    return handled::no;
}

handled presence_module::inbound(const server::routed_stanza& s) {
    auto type = s.el->attr_or("type", "");
    auto sub = parse_sub_type(type);
    if (!sub && type != "probe") return handled::no;  // available, unavailable, error
    if (s.from.empty() || s.from.bare() == s.to.bare()) {
        if (type != "probe") return handled::yes;  // no subscription to oneself
    }
    book_->with(s.to, [this, from = s.from, to = s.to, sub, el = s.el](roster_txn* txn) {
        if (!txn) return;
        auto exists = account_exists(txn->account());
        if (!exists) {
            // Unknown (the database failed, and account_exists logged it): an
            // error, not a missing account, so nobody's subscription ends over
            // it. A subscription stanza goes back with a wait-type error, and
            // the sender may send it again; a probe goes unanswered.
            if (sub) {
                auto err = xml::make_error(xml::error_condition::internal_server_error);
                err.type = xml::error_type::wait;
                ctx_->send(xml::stanza(el).error_reply(err));
            }
            return;
        }
        if (!*exists) {
            // RFC 6121 §8.5.1: no such user. A request or a probe is answered
            // 'unsubscribed', so the asker's roster does not wait forever; the
            // rest is ignored. Nothing is stored for a name nobody holds.
            if (!sub || *sub == sub_type::subscribe) send("unsubscribed", to.bare(), from.bare());
            return;
        }
        if (sub) return inbound_subscription(*txn, from.bare(), *sub, el);
        answer_probe(*txn, from, to);
    });
    return handled::yes;
}

std::optional<bool> presence_module::account_exists(const xml::jid& account) {
    // A bound resource proves it; otherwise ask the database (on this strand).
    if (!ctx_->bound_resources(account).empty()) return true;
    auto exists = storage::accounts(ctx_->storage().db()).exists(account.local(), account.domain());
    if (!exists) {
        server::log::error("presence", "cannot tell whether ", account.str(),
                           " exists: ", exists.error().message);
        return std::nullopt;
    }
    return exists.value();
}

void presence_module::broadcast(roster_txn& txn, const xml::element_ptr& presence,
                                const xml::jid& full) {
    bool available = presence->attr_or("type", "").empty();
    bool initial = false;
    std::set<std::string> directed;
    {
        std::lock_guard lock(mu_);
        auto it = resources_.find(full.str());
        if (available) {
            initial = it == resources_.end();
            if (initial) resources_.emplace(full.str(), resource_state{});
        } else if (it != resources_.end()) {
            directed = std::move(it->second.directed);
            resources_.erase(it);
        }
        // RFC 6121 §4.3.2: kept to answer probes while no resource is available.
        if (!available) last_unavailable_[txn.account().str()] = {full, presence};
    }
    xml::stanza st(presence);
    for (const auto& [key, item] : txn.roster().items) {
        if (!item.state.contact_receives()) continue;
        directed.erase(key);
        ctx_->send(st.with_addresses(full.str(), key));
    }
    // RFC 6121 §4.6.3: whoever got directed presence learns the resource left.
    for (const auto& to : directed) ctx_->send(st.with_addresses(full.str(), to));
    if (!initial) return;
    for (const auto& [key, item] : txn.roster().items) {
        // RFC 6121 §4.2.2: probe the contacts whose presence the user receives.
        if (item.state.user_receives()) send("probe", full, item.jid);
        // Requests that arrived while the user was away are delivered again
        // (RFC 6121 §3.1.3) until the user answers them.
        if (item.state.pending_in) {
            xml::builder req("jabber:client", "presence");
            req.attr("type", "subscribe").attr("from", key).attr("to", txn.account().str());
            if (!item.request_status.empty())
                req.text_child("jabber:client", "status", item.request_status);
            ctx_->deliver_now(full, req.done());
        }
    }
}

void presence_module::track_directed(const xml::jid& full, const xml::jid& to, bool available) {
    book_->in_order(full, [this, full, to, available] {
        std::lock_guard lock(mu_);
        auto it = resources_.find(full.str());
        if (it == resources_.end()) return;  // not available: nothing to undo later
        if (available)
            it->second.directed.insert(to.str());
        else
            it->second.directed.erase(to.str());
    });
}

void presence_module::answer_probe(roster_txn& txn, const xml::jid& prober,
                                   const xml::jid& probed) {
    // RFC 6121 §4.3.2: only a subscriber (or the account itself) learns presence.
    const auto& account = txn.account();
    const auto* item = txn.find(prober.bare());
    if (prober.bare() != account && !(item && item->state.contact_receives())) {
        // 1. Anyone else is told 'unsubscribed', so a roster that believes in a
        // subscription this one does not have is set right (§3.2). It is sent
        // as the server's answer, not as the user's own 'unsubscribed': a
        // pre-approval the user gave the prober stays (§3.4).
        return send("unsubscribed", account, prober.bare());
    }
    // 3. The presence of every available resource (or of the one probed).
    std::size_t matched = 0;
    for (const auto& r : ctx_->available_resources(account)) {
        if (!probed.is_bare() && r.full != probed) continue;
        ++matched;
        if (r.presence)
            ctx_->send(xml::stanza(r.presence).with_addresses(r.full.str(), prober.str()));
    }
    if (matched) return;
    // 2. None available: the last unavailable presence the account sent (while
    // this server ran), else an empty unavailable presence.
    last_presence last;
    {
        std::lock_guard lock(mu_);
        if (auto it = last_unavailable_.find(account.str()); it != last_unavailable_.end())
            last = it->second;
    }
    if (last.presence && (probed.is_bare() || last.full == probed))
        return ctx_->send(xml::stanza(last.presence).with_addresses(last.full.str(), prober.str()));
    ctx_->send(xml::builder("jabber:client", "presence")
                   .attr("type", "unavailable")
                   .attr("from", probed.str())
                   .attr("to", prober.str())
                   .done());
}

server::module_info presence_module_info() {
    return {"presence", {{"RFC 6121", "§3-4"}}, [] { return std::make_unique<presence_module>(); }};
}

}  // namespace modules
