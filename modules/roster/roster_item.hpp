// A roster item (RFC 6121 §2.1.2) as stored and as sent: the contact's bare JID,
// the user's name and groups for it, and the subscription state the server keeps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "modules/roster/subscription.hpp"
#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/stanza_error.hpp"

namespace modules {

inline constexpr std::string_view ns_roster = "jabber:iq:roster";

// One record per contact the account has dealings with. A record that only
// holds an unanswered inbound request (RFC 6121 §3.1.3: the contact is not
// added to the roster for that) has in_roster = false and is never shown.
struct roster_item {
    xml::jid jid;  // bare
    std::string name;
    std::vector<std::string> groups;
    sub_state state;
    bool approved = false;       // RFC 6121 §3.4 pre-approval
    bool in_roster = true;       // shown in roster results and pushes
    std::string request_status;  // <status/> of the pending inbound request

    // The wire form (RFC 6121 §2.1.2), or an item with subscription='remove'.
    xml::element_ptr to_element() const;
    static xml::element_ptr removed_element(const xml::jid& jid);
    // The stored form: the wire form plus what only the server keeps.
    std::string serialize() const;
    static std::optional<roster_item> deserialize(std::string_view text);
};

struct roster_limits {
    std::size_t max_name_bytes = 1023;
    std::size_t max_group_bytes = 1023;
    std::size_t max_groups = 64;
};

// A client's <item/> in a roster set, checked per RFC 6121 §2.3.3 / §2.5.3.
struct roster_change {
    xml::jid jid;
    bool remove = false;
    std::string name;
    std::vector<std::string> groups;
};
struct roster_change_result {
    std::optional<roster_change> change;
    xml::error_condition error = xml::error_condition::bad_request;
    std::string text;
};
roster_change_result parse_roster_set(const xml::element& query, const roster_limits& limits);

}  // namespace modules
