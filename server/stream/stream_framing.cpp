// RFC 6120 §4 framing: the connection's bytes are one XML document; the stream
// header opens it, </stream:stream> closes it, and top-level elements are written
// back to back in the jabber:client default namespace the header declared.
#include "server/stream/framing.hpp"

namespace server {

namespace {

class stream_framing final : public framing {
  public:
    stream_framing(xml::parser_events events, xml::parser_limits limits)
        : parser_(std::move(events), limits) {}

    void feed(std::string_view input) override { parser_.feed(input); }
    void restart() override { parser_.reset(); }
    void stop() override { parser_.stop(); }
    bool release() override { return parser_.release(); }

    void header(const xml::stream_header& h, output_units& out) const override {
        out.append(xml::open_stream(h));
    }
    void footer(output_units& out) const override { out.append(xml::close_stream); }
    void element(std::string_view bytes, output_units& out) const override { out.append(bytes); }

  private:
    xml::stream_parser parser_;
};

}  // namespace

std::unique_ptr<framing> make_websocket_framing(xml::parser_events events,
                                                xml::parser_limits limits);

std::unique_ptr<framing> make_bosh_framing(xml::parser_events events, xml::parser_limits limits);

std::unique_ptr<framing> make_framing(framing_kind kind, xml::parser_events events,
                                      xml::parser_limits limits) {
    if (kind == framing_kind::message) return make_websocket_framing(std::move(events), limits);
    if (kind == framing_kind::body) return make_bosh_framing(std::move(events), limits);
    return std::make_unique<stream_framing>(std::move(events), limits);
}

}  // namespace server
