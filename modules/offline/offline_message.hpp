// XEP-0160 offline messages as data: which messages are kept, and what a kept
// one looks like when it is finally delivered (XEP-0203 delayed delivery).
// Pure functions; the module and the admin commands share them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace modules {

// The archive_store the queue lives in, one per account.
inline constexpr std::string_view offline_store = "offline";
inline constexpr std::string_view ns_delay = "urn:xmpp:delay";
// XEP-0160 §4: the service discovery feature.
inline constexpr std::string_view feature_msgoffline = "msgoffline";

// XEP-0160 §3 and RFC 6121 §8.5.2.2.1: normal messages (a missing type means
// normal) and chat messages are stored; groupchat, headline and error never are.
bool is_storable(const xml::element& message);

// XEP-0082 DateTime of a stored timestamp (milliseconds since the epoch, UTC).
std::string stamp(std::int64_t when_ms);

// The stored message as delivered to `to` (the resource that came online): 'to'
// rewritten, and a XEP-0203 <delay/> saying that `domain` held it since
// `when_ms`. Everything else is the message as the sender's server stamped it.
xml::element_ptr delayed_copy(const xml::element& stored, std::string_view to,
                              std::string_view domain, std::int64_t when_ms);

}  // namespace modules
