// RFC 6121 §3: the subscription handshake as the user's server (outbound, the
// user sent it) and as the contact's server (inbound, addressed to an account).
// Runs on the strand of the account whose roster changes; the state changes
// themselves are the Appendix A tables in modules/roster/subscription.cpp.
#include "modules/presence/announce.hpp"
#include "modules/presence/presence_module.hpp"

namespace modules {

namespace {

roster_item item_for(const roster_txn& txn, const xml::jid& contact) {
    if (const auto* old = txn.find(contact)) return *old;
    roster_item item;
    item.jid = contact;
    item.in_roster = false;
    return item;
}

std::string status_of(const xml::element& presence) {
    const auto* st = presence.child("jabber:client", "status");
    return st ? st->text() : std::string();
}

// A record that is neither in the roster nor holds any state is forgotten.
bool forgettable(const roster_item& item) {
    return !item.in_roster && item.state == sub_state{} && !item.approved;
}

}  // namespace

bool presence_module::store(roster_txn& txn, const roster_item& item,
                            const xml::element_ptr& stanza) {
    if (forgettable(item) ? txn.erase(item.jid) : txn.save(item)) return true;
    // Not committed (roster_txn logged why): nothing else is sent, so the other
    // side never believes in a state this one does not have, and the sender
    // learns the stanza failed and may send it again.
    auto err = xml::make_error(xml::error_condition::internal_server_error);
    err.type = xml::error_type::wait;
    ctx_->send(xml::stanza(stanza).error_reply(err));
    return false;
}

void presence_module::refuse_full_roster(const xml::element_ptr& stanza) {
    // The roster would grow past its limit (max_items): refused with the error
    // a roster set adding a contact gets (roster.cpp).
    ctx_->send(xml::stanza(stanza).error_reply(
        xml::make_error(xml::error_condition::not_allowed, "the roster is full")));
}

void presence_module::send(std::string_view type, const xml::jid& from, const xml::jid& to,
                           const xml::element_ptr& original) {
    // The user's own stanza keeps its children (<status/>, XEP-0172 <nick/>).
    xml::builder p = original ? xml::builder(*original) : xml::builder("jabber:client", "presence");
    p.attr("type", type).attr("from", from.str()).attr("to", to.str());
    ctx_->send(p.done());
}

void presence_module::outbound_subscription(roster_txn& txn, const xml::jid& contact, sub_type type,
                                            const xml::element_ptr& stanza) {
    const auto& user = txn.account();
    auto item = item_for(txn, contact);
    auto before = item.state;
    auto next = transition(before, direction::outbound, type);
    if (next) item.state = *next;
    switch (type) {
        case sub_type::subscribe:
            // §3.1.2: the contact joins the roster with ask='subscribe'; the request
            // is routed even when nothing changed, so a lost one can be resent.
            if (!item.in_roster && !txn.has_room()) return refuse_full_roster(stanza);
            if (next || !item.in_roster) {
                item.in_roster = true;
                if (!store(txn, item, stanza)) return;
            }
            return send("subscribe", user, contact, stanza);
        case sub_type::unsubscribe:
            if (next && !store(txn, item, stanza)) return;
            return send("unsubscribe", user, contact, stanza);
        case sub_type::subscribed:
            if (next) {
                // §3.1.5: approved; the contact joins the user's roster (if not
                // there yet) and gets the user's current presence.
                if (!item.in_roster && !txn.has_room()) return refuse_full_roster(stanza);
                item.in_roster = true;
                item.request_status.clear();
                if (!store(txn, item, stanza)) return;
                send("subscribed", user, contact, stanza);
                return announce_presence(*ctx_, user, contact);
            }
            // §3.4: approving before being asked is a pre-approval.
            if (!before.contact_receives() && !item.approved) {
                if (!item.in_roster && !txn.has_room()) return refuse_full_roster(stanza);
                item.approved = true;
                item.in_roster = true;
                store(txn, item, stanza);
            }
            return;
        case sub_type::unsubscribed: {
            bool cancelled_approval = item.approved;
            item.approved = false;
            if (!next && !cancelled_approval) return;
            item.request_status.clear();
            if (!store(txn, item, stanza) || !next) return;
            // §3.2.2: a revoked subscriber sees the user go offline, while still
            // subscribed: the unavailable presence goes before the 'unsubscribed'.
            if (before.contact_receives()) announce_unavailable(*ctx_, user, contact);
            send("unsubscribed", user, contact, stanza);
            return;
        }
    }
}

void presence_module::inbound_subscription(roster_txn& txn, const xml::jid& contact, sub_type type,
                                           const xml::element_ptr& stanza) {
    const auto& user = txn.account();
    auto item = item_for(txn, contact);
    auto before = item.state;
    // What the user's clients receive: from the contact's bare JID (§3.1.3).
    auto delivered = xml::stanza(stanza).with_addresses(contact.str(), user.str());
    if (type == sub_type::subscribe) {
        // §3.1.3: already subscribed -> the server answers for the user.
        if (before.contact_receives()) return send("subscribed", user, contact);
        // Requests from strangers wait in the roster's records too; past twice
        // the roster's limit they are not kept (a flood must not grow it).
        if (!txn.find(contact) && txn.roster().items.size() >= 2 * txn.max_items()) return;
        if (item.approved) {
            // §3.4: pre-approved -> granted without asking the user.
            item.approved = false;
            item.state.sub =
                before.sub == subscription::to ? subscription::both : subscription::from;
            if (!store(txn, item, stanza)) return;
            send("subscribed", user, contact);
            return announce_presence(*ctx_, user, contact);
        }
    }
    auto next = transition(before, direction::inbound, type);
    if (!next) {
        // §3.1.3: a request still waiting for the user's answer is delivered
        // again (the contact may have lost the first, or its answer may have
        // failed); the stored one stays as it is.
        if (type == sub_type::subscribe && before.pending_in) ctx_->deliver_now(user, delivered);
        // Appendix A: any other stanza that changes nothing is not delivered.
        return;
    }
    item.state = *next;
    if (type == sub_type::subscribe) item.request_status = status_of(*stanza);
    if (!item.state.pending_in) item.request_status.clear();
    if (!store(txn, item, stanza)) return;
    // A request to a user with no available resource waits in the roster and is
    // delivered at the next initial presence (presence.cpp).
    ctx_->deliver_now(user, delivered);
    // §3.3.3: the contact no longer receives the user's presence; its clients
    // are told the user is gone.
    if (type == sub_type::unsubscribe && before.contact_receives())
        announce_unavailable(*ctx_, user, contact);
}

}  // namespace modules
