// Bytes in, bytes out. A transport knows nothing about stanzas; the stream above
// it does not know whether it runs over TCP, TLS or WebSocket. What differs is
// the framing: a byte stream carries one RFC 6120 XML stream, a message transport
// (WebSocket, RFC 7395) carries one whole element per message, BOSH (XEP-0206)
// one <body/> of elements per HTTP request, and the session
// picks the matching stream framing (server/stream/framing.hpp).
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/authenticator.hpp"

namespace server {

namespace asio = boost::asio;

// Output queued in one turn: whole units (a stream header, an element, the
// closing tag) back to back in `bytes`; unit i ends at ends[i]. A byte stream
// writes them in one go (coalesced), a message transport one message each.
struct output_units {
    std::string bytes;
    std::vector<std::size_t> ends;

    bool empty() const { return bytes.empty(); }
    void append(std::string_view unit) {
        bytes.append(unit);
        ends.push_back(bytes.size());
    }
    void clear() {
        bytes.clear();
        ends.clear();
    }
    void swap(output_units& o) {
        bytes.swap(o.bytes);
        ends.swap(o.ends);
    }
};

enum class framing_kind {
    stream,   // RFC 6120 §4: one XML document over the connection's bytes
    message,  // RFC 7395 §3.3: each message is one complete element
    body,     // XEP-0206: each read is a whole BOSH <body/> wrapping elements
};

class transport {
  public:
    virtual ~transport() = default;
    virtual framing_kind framing() const = 0;
    // Anything to do before the first byte of XML (direct TLS: the handshake).
    virtual asio::awaitable<void> open() = 0;
    // The next input: for a byte stream whatever arrived, for a message transport
    // exactly one message, for BOSH one request body. Throws when the connection
    // is gone.
    // The view is valid only until the caller next suspends or calls read(): a
    // transport may read into a buffer that every connection of its I/O thread
    // shares (tcp_transport does, so that idle connections hold no read buffer).
    // The one caller, c2s_session::run(), hands it to framing::feed(), which
    // parses it synchronously, before it awaits anything.
    virtual asio::awaitable<std::string_view> read() = 0;
    virtual asio::awaitable<void> write(const output_units& out) = 0;
    // A write that must not wait, for the common case of a socket with room:
    // it saves the writer a coroutine per burst.
    //   taken:         all of `out` is on the wire.
    //   taken_in_part: the transport sent what the socket took (maybe nothing)
    //                  and keeps the rest, which the next write() sends before
    //                  anything new; so a write() must follow, with nothing
    //                  new if need be.
    //   not_taken:     nothing happened; the caller writes `out` with write().
    // Throws when the connection is gone.
    enum class try_result { taken, taken_in_part, not_taken };
    virtual try_result try_write(const output_units&) { return try_result::not_taken; }
    // STARTTLS (RFC 6120 §5): the TLS handshake on the existing connection.
    virtual bool can_start_tls() const = 0;
    virtual asio::awaitable<void> start_tls() = 0;
    virtual bool is_secure() const = 0;
    // Channel-binding data for SCRAM-*-PLUS (XEP-0440); empty when not secure.
    virtual std::vector<sasl::channel_binding> channel_bindings() const = 0;
    virtual std::string remote_address() const = 0;
    // Signs of life that read() does not return (a WebSocket pong); they keep an
    // idle but answering client connected.
    virtual std::chrono::steady_clock::time_point last_activity() const { return {}; }
    // The session is established (authenticated, bound) and quiet: give back
    // what can be rebuilt when input comes (the record ciphers of a TLS
    // connection) and what only authentication needed (channel bindings).
    virtual void release_idle() {}
    // The stream is over: end the connection the way the transport ends it (a
    // WebSocket close frame, say). Must not block; may be called more than once.
    virtual void close() = 0;
};

}  // namespace server
