// A stanza on its way through the router, with the addresses the router trusts.
#pragma once

#include "xml/element.hpp"
#include "xml/jid.hpp"

namespace server {

// Who handed the stanza to the router. Client stanzas pass the client hooks
// (RFC 6121 outbound processing: subscriptions, directed presence); stanzas
// the server built (replies, pushes, broadcasts on a user's behalf) do not.
enum class origin { server, client };

// 'from' is trusted (stamped by the session or the server), 'to' is prepared.
// The element's attributes match both.
struct routed_stanza {
    xml::element_ptr el;
    xml::jid from;
    xml::jid to;  // empty when the stanza had no 'to'
    server::origin origin = origin::server;
};

}  // namespace server
