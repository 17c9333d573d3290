// XEP-0206 framing: every read is one whole BOSH request <body/>. The session-
// creation body and any body with xmpp:restart='true' open a stream (XEP-0206
// §4, §5), the elements inside are the stream's top-level elements, and a body
// of type='terminate' ends the stream after its elements (XEP-0124 §13).
//
// Output needs no header or closing tag: the BOSH transport wraps what is sent
// in the <body/> of each response and says 'terminate' itself when it closes.
#include "server/stream/framing.hpp"

#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace server {

namespace {

constexpr std::string_view ns_xbosh = "urn:xmpp:xbosh";

class bosh_framing final : public framing {
  public:
    bosh_framing(xml::parser_events events, xml::parser_limits limits)
        : events_(std::move(events)), limits_(limits) {}

    void feed(std::string_view body) override {
        if (stopped_) return;
        bool complete = false;
        bool terminate = false;
        bool failed = false;
        xml::parser_events ev;
        ev.on_open = [&](const xml::element& b) {
            terminate = b.attr_or("type", "") == "terminate";
            if (!opened_ || b.attr(ns_xbosh, "restart") == "true") {
                opened_ = true;
                events_.on_open(*header_from(b));
            }
        };
        ev.on_element = [&](xml::element_ptr el) { events_.on_element(std::move(el)); };
        ev.on_close = [&] { complete = true; };
        ev.on_error = [&](xml::parse_error e, std::string detail) {
            failed = true;
            events_.on_error(e, std::move(detail));
        };
        xml::stream_parser parser(std::move(ev), limits_);
        parser.feed(body);
        if (failed) return;
        if (!complete)
            return events_.on_error(xml::parse_error::not_well_formed, "incomplete <body/>");
        if (terminate) events_.on_close();
    }

    void restart() override {}
    void stop() override { stopped_ = true; }

    void header(const xml::stream_header&, output_units&) const override {}
    void footer(output_units&) const override {}
    void element(std::string_view bytes, output_units& out) const override {
        append_qualified(bytes, out);
    }

  private:
    // The session reads a stream header: 'to' and xml:lang come from the body;
    // XEP-0206 §4 carries the version as xmpp:version, and restarts (§5) keep it.
    static xml::element_ptr header_from(const xml::element& body) {
        xml::builder h(xml::ns::stream, "stream");
        if (auto to = body.attr("to")) h.attr("to", *to);
        if (auto lang = body.attr(xml::ns::xml, "lang")) h.attr(xml::ns::xml, "lang", *lang);
        h.attr("version", body.attr(ns_xbosh, "version").value_or("1.0"));
        return h.done();
    }

    xml::parser_events events_;
    xml::parser_limits limits_;
    bool opened_ = false;
    bool stopped_ = false;
};

}  // namespace

std::unique_ptr<framing> make_bosh_framing(xml::parser_events events, xml::parser_limits limits) {
    return std::make_unique<bosh_framing>(std::move(events), limits);
}

}  // namespace server
