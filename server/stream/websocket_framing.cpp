// RFC 7395 §3.3 framing: every WebSocket message is one complete element that
// parses on its own. <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing
// replace the stream header and closing tag, so each stanza we send must declare
// its own namespaces.
//
// Input goes through one stream parser that is given a stream header of our own
// first: each message is then a top-level element of that stream, parsed with
// the same limits and RFC 6120 §11 restrictions as on TCP. <open/> is handed to
// the session as the stream header and <close/> as the end of the stream.
#include <vector>

#include "server/stream/framing.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace server {

namespace {

constexpr std::string_view ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

bool is_whitespace(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

class websocket_framing final : public framing {
  public:
    websocket_framing(xml::parser_events events, xml::parser_limits limits)
        : events_(std::move(events)), parser_(collect(), limits) {
        start();
    }

    void feed(std::string_view message) override {
        if (stopped_) return;
        got_.clear();
        parser_.feed(message);
        if (failed_ || stopped_) return;
        // RFC 7395 §3.3.3: one element per message, not split across messages.
        // (Whitespace-only messages carry nothing; they are ignored.)
        auto tail = parser_.pending_bytes();
        bool one = got_.size() == 1 && !parser_.in_element() && tail <= message.size() &&
                   is_whitespace(message.substr(message.size() - tail));
        if (got_.empty() && is_whitespace(message)) return;
        if (!one) {
            stopped_ = true;
            return events_.on_error(
                xml::parse_error::not_well_formed,
                "a WebSocket message must hold exactly one complete element (RFC 7395 §3.3.3)");
        }
        deliver(std::move(got_.front()));
    }

    // A new <open/> is all a restart takes (RFC 7395 §3.5); the parser goes on.
    void restart() override {}
    void stop() override {
        stopped_ = true;
        parser_.stop();
    }
    // Between messages the parser sits inside our own header, which it replays
    // into a fresh expat parser at the next message.
    bool release() override {
        if (stopped_ || failed_) return false;
        got_ = {};
        return parser_.release();
    }

    void header(const xml::stream_header& h, output_units& out) const override {
        // RFC 7395 §3.3.2: the header's attributes on <open/>, written by the
        // same escaping writer as every stanza.
        xml::builder open(ns_framing, "open");
        for (auto [name, value] : {std::pair{"id", &h.id}, std::pair{"from", &h.from},
                                   std::pair{"to", &h.to}, std::pair{"version", &h.version}})
            if (!value->empty()) open.attr(name, *value);
        if (!h.lang.empty()) open.attr(xml::ns::xml, "lang", h.lang);
        out.append(xml::to_string(*open.done(), ""));
    }

    void footer(output_units& out) const override {
        out.append(xml::to_string(*xml::builder(ns_framing, "close").done(), ""));
    }

    void element(std::string_view bytes, output_units& out) const override {
        append_qualified(bytes, out);
    }

  private:
    xml::parser_events collect() {
        xml::parser_events ev;
        ev.on_open = [](const xml::element&) {};  // our own header, below
        ev.on_element = [this](xml::element_ptr el) { got_.push_back(std::move(el)); };
        ev.on_close = [this] {
            // Only a message holding our header's closing tag gets here.
            failed_ = true;
            events_.on_error(xml::parse_error::not_well_formed, "unexpected </stream:stream>");
        };
        ev.on_error = [this](xml::parse_error e, std::string detail) {
            failed_ = true;
            events_.on_error(e, std::move(detail));
        };
        return ev;
    }

    void start() {
        std::string open = "<stream:stream xmlns='";
        open += xml::ns::client;
        open += "' xmlns:stream='";
        open += xml::ns::stream;
        open += "'>";
        parser_.feed(open);
    }

    void deliver(xml::element_ptr el) {
        if (el->name() == xml::qname{std::string(ns_framing), "open"}) {
            // The session reads the header as a <stream:stream>; RFC 7395 §3.3.2
            // gives <open/> the same attributes.
            xml::builder h(xml::ns::stream, "stream");
            for (const auto& a : el->attributes()) h.attr(a.ns, a.name, a.value);
            return events_.on_open(*h.done());
        }
        if (el->name() == xml::qname{std::string(ns_framing), "close"}) return events_.on_close();
        events_.on_element(std::move(el));
    }

    xml::parser_events events_;
    xml::stream_parser parser_;
    std::vector<xml::element_ptr> got_;
    bool failed_ = false;
    bool stopped_ = false;
};

}  // namespace

void append_qualified(std::string_view bytes, output_units& out) {
    // Our writer puts no '>' inside attribute values, so the start tag ends at the
    // first '>'.
    auto name_end = bytes.find_first_of(" />");
    auto tag_end = bytes.find('>');
    if (bytes.size() < 2 || bytes[0] != '<' || name_end == std::string_view::npos ||
        tag_end == std::string_view::npos)
        return out.append(bytes);
    auto start_tag = bytes.substr(0, tag_end);
    std::string s;
    s.reserve(bytes.size() + 80);
    s.append(bytes.substr(0, name_end));
    if (start_tag.find(" xmlns='") == std::string_view::npos) {
        s += " xmlns='";
        s += xml::ns::client;
        s += '\'';
    }
    if (bytes.substr(1, 7) == "stream:") {
        s += " xmlns:stream='";
        s += xml::ns::stream;
        s += '\'';
    }
    s.append(bytes.substr(name_end));
    out.append(s);
}

std::unique_ptr<framing> make_websocket_framing(xml::parser_events events,
                                                xml::parser_limits limits) {
    return std::make_unique<websocket_framing>(std::move(events), limits);
}

}  // namespace server
