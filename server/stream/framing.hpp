// How the XML of a client session rides on its transport. RFC 6120 §4: one XML
// stream over a byte stream. RFC 7395 §3.3: each WebSocket message is one whole
// element, and <open/> / <close/> stand in for the stream header and closing tag.
// XEP-0206: each BOSH request body wraps elements; its attributes open, restart
// and terminate the stream.
// Both framings turn input into the same parser events and write the session's
// output for their transport, so the session state machine exists once.
#pragma once

#include <memory>
#include <string_view>

#include "server/net/transport.hpp"
#include "xml/stream_parser.hpp"
#include "xml/writer.hpp"

namespace server {

class framing {
  public:
    virtual ~framing() = default;

    // Input from transport::read(); events fire synchronously from inside.
    virtual void feed(std::string_view input) = 0;
    // Stream restart after STARTTLS or SASL success (RFC 6120 §4.3.3).
    virtual void restart() = 0;
    // Report nothing more (the session is closing).
    virtual void stop() = 0;
    // The stream has been quiet for a while: free what parsing holds between
    // elements (the expat parser); the next feed() builds it again. Returns
    // whether nothing is held now; false when the framing holds nothing it can
    // give back or the input stopped mid-element (tried again after more input).
    virtual bool release() { return false; }

    // Output units, appended to `out`.
    virtual void header(const xml::stream_header& h, output_units& out) const = 0;
    virtual void footer(output_units& out) const = 0;
    // `bytes` is one top-level element serialized for a jabber:client stream (as
    // the router serializes a stanza once for every receiver).
    virtual void element(std::string_view bytes, output_units& out) const = 0;
};

// RFC 7395 §3.3.3, XEP-0206: an element sent on its own, with no stream header
// around it, declares its namespaces itself (jabber:client, and the stream
// prefix on <stream:features/> and <stream:error/>).
void append_qualified(std::string_view bytes, output_units& out);

std::unique_ptr<framing> make_framing(framing_kind kind, xml::parser_events events,
                                      xml::parser_limits limits);

}  // namespace server
