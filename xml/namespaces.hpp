// Namespaces the core knows. Extension namespaces belong to their modules.
#pragma once

#include <string_view>

namespace xml::ns {

inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view streams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

}  // namespace xml::ns
