// RFC 6121 Appendix A, written as the rules the tables encode rather than as
// the tables themselves: each stanza sets or clears one half of the state.
#include "modules/roster/subscription.hpp"

namespace modules {

namespace {

subscription with_to(subscription s, bool on) {
    bool from = s == subscription::from || s == subscription::both;
    if (on) return from ? subscription::both : subscription::to;
    return from ? subscription::from : subscription::none;
}

subscription with_from(subscription s, bool on) {
    bool to = s == subscription::to || s == subscription::both;
    if (on) return to ? subscription::both : subscription::from;
    return to ? subscription::to : subscription::none;
}

std::optional<sub_state> changed(sub_state before, sub_state after) {
    if (after == before) return std::nullopt;
    return after;
}

}  // namespace

std::optional<sub_type> parse_sub_type(std::string_view t) {
    if (t == "subscribe") return sub_type::subscribe;
    if (t == "subscribed") return sub_type::subscribed;
    if (t == "unsubscribe") return sub_type::unsubscribe;
    if (t == "unsubscribed") return sub_type::unsubscribed;
    return std::nullopt;
}

std::string_view to_string(subscription s) {
    switch (s) {
        case subscription::to:
            return "to";
        case subscription::from:
            return "from";
        case subscription::both:
            return "both";
        case subscription::none:
            break;
    }
    return "none";
}

std::optional<subscription> parse_subscription(std::string_view s) {
    if (s == "none") return subscription::none;
    if (s == "to") return subscription::to;
    if (s == "from") return subscription::from;
    if (s == "both") return subscription::both;
    return std::nullopt;
}

std::optional<sub_state> transition(sub_state s, direction dir, sub_type type) {
    sub_state next = s;
    if (dir == direction::outbound) {
        switch (type) {
            case sub_type::subscribe:  // A.2.1: ask, unless already receiving
                if (!s.user_receives()) next.pending_out = true;
                break;
            case sub_type::unsubscribe:  // A.2.2: stop receiving, withdraw the ask
                next.sub = with_to(s.sub, false);
                next.pending_out = false;
                break;
            case sub_type::subscribed:  // A.2.3: approve a pending request
                if (s.pending_in) {
                    next.sub = with_from(s.sub, true);
                    next.pending_in = false;
                }
                break;
            case sub_type::unsubscribed:  // A.2.4: deny or revoke
                next.sub = with_from(s.sub, false);
                next.pending_in = false;
                break;
        }
    } else {
        switch (type) {
            case sub_type::subscribe:  // A.3.1: a request, unless already granted
                if (!s.contact_receives()) next.pending_in = true;
                break;
            case sub_type::unsubscribe:  // A.3.2: the contact stops receiving
                next.sub = with_from(s.sub, false);
                next.pending_in = false;
                break;
            case sub_type::subscribed:  // A.3.3: only answers a request we made
                if (s.pending_out) {
                    next.sub = with_to(s.sub, true);
                    next.pending_out = false;
                }
                break;
            case sub_type::unsubscribed:  // A.3.4: denied or revoked
                next.sub = with_to(s.sub, false);
                next.pending_out = false;
                break;
        }
    }
    return changed(s, next);
}

}  // namespace modules
