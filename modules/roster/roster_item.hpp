// A roster item (RFC 6121 §2.1.2) as stored and as sent: the contact's bare JID,
// the user's name and groups for it, and the subscription state the server keeps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/stanza_error.hpp"

namespace modules {

inline constexpr std::string_view ns_roster = "jabber:iq:roster";

struct roster_item {
    xml::jid jid;  // bare
    std::string name;
    std::string subscription = "none";  // none | to | from | both
    bool ask_subscribe = false;         // pending-out: ask='subscribe'
    std::vector<std::string> groups;

    xml::element_ptr to_element() const;
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
