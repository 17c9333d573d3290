// Taking a TLS 1.3 connection over from OpenSSL once its handshake is done, so
// that the SSL object can be freed (tls13_record_layer.hpp says why).
//
// The record layer needs what OpenSSL does not publish: the application traffic
// secrets and the sequence numbers reached. The secrets come through the key-log
// callback, OpenSSL's one way of handing them out. The sequence numbers come from
// watching the records: with read-ahead off OpenSSL reads exactly up to the end
// of the client's Finished, so the client's first application record is number 0;
// the server's number is the count of protected records OpenSSL wrote after that
// Finished (its NewSessionTickets). A client's numbers are both 0 when it is taken
// over before it reads or writes application data.
#pragma once

#include <openssl/types.h>

#include <memory>

#include "server/net/tls13_record_layer.hpp"

namespace server::tls13 {

// Once per context: routes the traffic secrets of watched connections to them.
void capture_secrets(SSL_CTX* ctx);

// Before the handshake. Turns read-ahead off: records after the Finished must
// stay in the socket, not in OpenSSL's buffer.
void watch(SSL* ssl);

// After the handshake: the record layer that carries the connection on, or null
// when OpenSSL has to keep it (TLS 1.2, a CCM suite, a secret that did not come).
// The SSL object may be freed afterwards, after SSL_set_shutdown().
// A client (role::client) is taken over as soon as its handshake returns, before
// it writes anything: the server's tickets are then still unread.
std::unique_ptr<record_layer> take_over(SSL* ssl, role r = role::server);

}  // namespace server::tls13
