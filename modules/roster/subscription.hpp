// The presence subscription state machine of RFC 6121 Appendix A: the state a
// user's roster keeps for one contact, and how each subscription stanza changes
// it, going out (the user sent it, A.2) or coming in (the contact sent it, A.3).
#pragma once

#include <optional>
#include <string_view>

namespace modules {

// Who receives whose presence: 'to' = the user receives the contact's,
// 'from' = the contact receives the user's (RFC 6121 §2.1.2.5).
enum class subscription { none, to, from, both };

struct sub_state {
    subscription sub = subscription::none;
    bool pending_out = false;  // the user asked the contact (ask='subscribe')
    bool pending_in = false;   // the contact asked the user, not yet answered

    bool operator==(const sub_state&) const = default;
    bool user_receives() const { return sub == subscription::to || sub == subscription::both; }
    bool contact_receives() const { return sub == subscription::from || sub == subscription::both; }
};

enum class sub_type { subscribe, subscribed, unsubscribe, unsubscribed };
enum class direction { outbound, inbound };

std::optional<sub_type> parse_sub_type(std::string_view presence_type);
std::string_view to_string(subscription s);
std::optional<subscription> parse_subscription(std::string_view s);

// The new state, or nullopt for the tables' "no state change". A change is
// what makes the server push the roster item and, mostly, route or deliver the
// stanza (RFC 6121 §3).
std::optional<sub_state> transition(sub_state current, direction dir, sub_type type);

}  // namespace modules
