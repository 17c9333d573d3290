// Every hook point of the server, as a struct. This header is the one list: a
// module that wants to react to something finds it here, and the compiler checks
// the handler's signature. Handlers return handled::yes to stop the event.
#pragma once

#include <string>
#include <vector>

#include "server/router/routed_stanza.hpp"
#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/stanza.hpp"

namespace server {

enum class handled { no, yes };

// A client session bound a resource (RFC 6120 §7). Fired on the session's thread.
struct session_bound {
    xml::jid full;
};

// A bound session ended, for any reason. Fired on the session's thread after the
// router forgot it; `was_available` says if it had sent available presence.
struct session_closed {
    xml::jid full;
    bool was_available = false;
};

// A stanza a local client sent, before the router delivers it (RFC 6121 outbound
// processing: the user's server acts on subscriptions and directed presence).
// A handler that takes the stanza over returns handled::yes. Fired on the
// sending session's thread.
struct client_stanza {
    const routed_stanza& s;
    xml::stanza_kind kind;
};

// A stanza addressed to a local account (its bare or a full JID), from anyone,
// before the delivery table runs (RFC 6121 inbound processing). A handler that
// takes it over returns handled::yes. Fired on the routing thread.
struct account_stanza {
    const routed_stanza& s;
    xml::stanza_kind kind;
};

// A bound resource sent its initial available presence (RFC 6121 §4.2): it now
// receives presence and, with a non-negative priority, bare-JID messages.
// Fired on the session's thread after the router knows it is available.
struct resource_available {
    xml::jid full;
    int priority = 0;
};

// A message for a local account could not be delivered to any resource (none
// available). The offline store takes it (handled::yes) or the router bounces it
// with <service-unavailable/> (RFC 6121 §8.5.2.2.1).
struct message_undeliverable {
    xml::jid to;  // bare
    xml::element_ptr stanza;
};

// Building <stream:features> for a c2s stream; modules append their own children.
struct stream_features {
    bool authenticated = false;  // after SASL (the bind/session stage)
    bool secure = false;
    std::vector<xml::element_ptr>& features;
};

// An account is about to be removed (parleyctl unregister with the server
// running): its data is still there, so modules can tell its contacts. Fired on
// a storage thread, so handlers may use storage directly.
struct account_removing {
    std::string user;
    std::string host;
};

// An account was removed (parleyctl unregister): modules drop its data. Fired on
// a storage thread, so handlers may use storage directly.
struct account_removed {
    std::string user;
    std::string host;
};

}  // namespace server
