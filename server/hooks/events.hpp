// Every hook point of the server, as a struct. This header is the one list: a
// module that wants to react to something finds it here, and the compiler checks
// the handler's signature. Handlers return handled::yes to stop the event.
#pragma once

#include <string>
#include <vector>

#include "xml/element.hpp"
#include "xml/jid.hpp"

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

// An account was removed (parleyctl unregister): modules drop its data. Fired on
// a storage thread, so handlers may use storage directly.
struct account_removed {
    std::string user;
    std::string host;
};

}  // namespace server
