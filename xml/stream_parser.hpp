// Bytes in, stream events out. An expat wrapper that knows XMPP framing: depth 1
// is the stream header, a return to depth 1 completes a top-level element.
//
// RFC 6120 §11 restricted XML is enforced here: a DOCTYPE, comment, processing
// instruction, or entity reference/declaration ends the stream with
// <restricted-xml/>; broken XML or bad UTF-8 with <not-well-formed/>; the size,
// depth and attribute limits with <policy-violation/>. After an error the parser
// reports nothing more until reset().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace xml {

struct parser_limits {
    std::size_t max_stanza_bytes = 256 * 1024;  // bytes of one top-level element
    std::size_t max_header_bytes = 8 * 1024;    // bytes of the stream header
    std::size_t max_depth = 64;                 // nesting below the stream element
    std::size_t max_attributes = 64;            // per element
    // Bytes of one unfinished token (a start tag, say) without any parser event.
    // Bounds expat's rescans of a token that arrives in tiny pieces, which would
    // otherwise cost time quadratic in the token's size.
    std::size_t max_token_bytes = 32 * 1024;
};

enum class parse_error {
    not_well_formed,       // <not-well-formed/>
    restricted_xml,        // <restricted-xml/>
    policy_violation,      // <policy-violation/>: a limit was exceeded
    unsupported_encoding,  // <unsupported-encoding/>: XML declaration names non-UTF-8
};

struct parser_events {
    // The stream header (depth 1 start tag). `header` is the stream element
    // itself with no children; its qname tells the caller the namespace, and an
    // attribute named "xmlns" with no namespace holds the default (content)
    // namespace the header declared, when it declared one.
    std::function<void(const element& header)> on_open;
    // A complete top-level element (a stanza, <starttls/>, <auth/>, ...).
    std::function<void(element_ptr el)> on_element;
    // </stream:stream>.
    std::function<void()> on_close;
    // Fatal: the stream must end with the matching stream error. `detail` is a
    // human-readable explanation (for the <text/> and the log).
    std::function<void(parse_error err, std::string detail)> on_error;
};

class stream_parser {
  public:
    stream_parser(parser_events events, parser_limits limits = {});
    ~stream_parser();
    stream_parser(const stream_parser&) = delete;
    stream_parser& operator=(const stream_parser&) = delete;

    // Feed bytes. Events fire synchronously from inside feed(). Returns false once
    // the parser is in the error state (after on_error fired) or stopped.
    bool feed(std::string_view bytes);

    // Stream restart (after STARTTLS / SASL success, RFC 6120 §4.3.3). Callable
    // from inside on_element: parsing of the current element completes, and bytes
    // after it in the same feed() call go to a fresh parser that expects a new
    // stream header.
    void reset();

    // Stop delivering events (e.g. the session is closing). Callable from inside a
    // callback; feed() returns false from then on.
    void stop();

    // Frees the expat parser and its buffers (≈ 11 KiB) while the stream is quiet,
    // keeping only the stream element's start tag; the next feed() replays that
    // tag into a fresh parser, without reporting the header again, and goes on
    // with the same namespaces, limits and restrictions. Done only at a clean
    // point: the stream is open, no top-level element has begun, every byte fed
    // has been parsed, and the parser has not failed, stopped or been asked to
    // reset (and not from inside a callback). Returns whether the parser is
    // released (true if it already was). Whitespace fed to a released parser
    // leaves it released. reset() works as usual.
    bool release();
    bool released() const;

    // Bytes currently buffered in the partially parsed element; lets idle
    // sessions be measured and the caller release memory.
    std::size_t pending_bytes() const;

    // True while a top-level element has begun and not yet ended: the input so far
    // stops inside it.
    bool in_element() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace xml
