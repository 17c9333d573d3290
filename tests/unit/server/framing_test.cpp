// Stream framings: RFC 6120 over bytes and RFC 7395 over WebSocket messages give
// the session the same events and write its output for their transport.
#include "server/stream/framing.hpp"

#include <gtest/gtest.h>

#include "xml/namespaces.hpp"

namespace server {
namespace {

struct recorder {
    std::vector<std::string> log;  // "open to=...", "element name", "close", "error"
    xml::parser_events events() {
        xml::parser_events ev;
        ev.on_open = [this](const xml::element& h) {
            log.push_back("open " + h.name().name + " to=" + std::string(h.attr_or("to", "")));
        };
        ev.on_element = [this](xml::element_ptr el) {
            log.push_back("element " + el->local_name() + " " + el->ns());
        };
        ev.on_close = [this] { log.push_back("close"); };
        ev.on_error = [this](xml::parse_error, std::string) { log.push_back("error"); };
        return ev;
    }
};

std::vector<std::string> units(const output_units& out) {
    std::vector<std::string> v;
    std::size_t begin = 0;
    for (auto end : out.ends) {
        v.push_back(out.bytes.substr(begin, end - begin));
        begin = end;
    }
    return v;
}

TEST(websocket_framing_test, open_stanza_close_map_to_stream_events) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>");
    f->feed("<message xmlns='jabber:client' to='a@example.com'><body>hi</body></message>");
    f->feed("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    ASSERT_EQ(r.log.size(), 3u);
    EXPECT_EQ(r.log[0], "open stream to=example.com");
    EXPECT_EQ(r.log[1], "element message jabber:client");
    EXPECT_EQ(r.log[2], "close");
}

TEST(websocket_framing_test, restart_needs_only_a_new_open) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>");
    f->restart();
    f->feed("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>");
    EXPECT_EQ(r.log, (std::vector<std::string>{"open stream to=example.com",
                                               "open stream to=example.com"}));
}

TEST(websocket_framing_test, two_elements_in_one_message_are_an_error_and_neither_is_handled) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>");
    EXPECT_EQ(r.log, std::vector<std::string>{"error"});
}

TEST(websocket_framing_test, an_element_split_across_messages_is_an_error) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<message xmlns='jabber:client'><body>");
    EXPECT_EQ(r.log, std::vector<std::string>{"error"});
}

TEST(websocket_framing_test, trailing_element_start_is_an_error) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<presence xmlns='jabber:client'/><pres");
    EXPECT_EQ(r.log, std::vector<std::string>{"error"});
}

TEST(websocket_framing_test, whitespace_around_the_element_and_whitespace_messages_are_fine) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed(" \n");
    f->feed("\n<presence xmlns='jabber:client'/>\n ");
    EXPECT_EQ(r.log, std::vector<std::string>{"element presence jabber:client"});
}

TEST(websocket_framing_test, restricted_xml_is_refused_as_on_tcp) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    f->feed("<!-- hi --><presence xmlns='jabber:client'/>");
    EXPECT_EQ(r.log, std::vector<std::string>{"error"});
}

TEST(websocket_framing_test, output_declares_namespaces_on_every_element) {
    recorder r;
    auto f = make_framing(framing_kind::message, r.events(), {});
    output_units out;
    xml::stream_header h;
    h.from = "example.com";
    h.id = "abc";
    f->header(h, out);
    f->element("<message from='a@example.com'><body>x</body></message>", out);
    f->element(
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", out);
    f->element("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", out);
    f->footer(out);
    auto u = units(out);
    ASSERT_EQ(u.size(), 5u);
    EXPECT_EQ(u[0],
              "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' from='example.com' "
              "version='1.0' xml:lang='en'/>");
    EXPECT_EQ(u[1], "<message xmlns='jabber:client' from='a@example.com'><body>x</body></message>");
    EXPECT_EQ(u[2],
              "<stream:features xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams'><bind "
              "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    EXPECT_EQ(u[3], "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    EXPECT_EQ(u[4], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
}

constexpr const char* body_start =
    "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' rid='1'";

TEST(bosh_framing_test, creation_body_opens_and_restart_opens_again) {
    recorder r;
    auto f = make_framing(framing_kind::body, r.events(), {});
    f->feed(std::string(body_start) + " to='example.com' xmpp:version='1.0'/>");
    f->feed(std::string(body_start) + "><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></body>");
    f->feed(std::string(body_start) + "/>");  // an empty poll
    f->feed(std::string(body_start) + " to='example.com' xmpp:restart='true'/>");
    EXPECT_EQ(r.log, (std::vector<std::string>{"open stream to=example.com",
                                               "element auth urn:ietf:params:xml:ns:xmpp-sasl",
                                               "open stream to=example.com"}));
}

TEST(bosh_framing_test, elements_then_terminate_close_the_stream) {
    recorder r;
    auto f = make_framing(framing_kind::body, r.events(), {});
    f->feed(std::string(body_start) + " to='example.com' xmpp:version='1.0'/>");
    f->feed(std::string(body_start) +
            " type='terminate'><presence xmlns='jabber:client' type='unavailable'/></body>");
    EXPECT_EQ(r.log, (std::vector<std::string>{"open stream to=example.com",
                                               "element presence jabber:client", "close"}));
}

TEST(bosh_framing_test, broken_bodies_are_errors) {
    for (std::string bad : {std::string(body_start) + "><message>",
                            std::string(body_start) + "><!-- x --></body>", std::string("junk")}) {
        recorder r;
        auto f = make_framing(framing_kind::body, r.events(), {});
        f->feed(bad);
        ASSERT_FALSE(r.log.empty()) << bad;
        EXPECT_EQ(r.log.back(), "error") << bad;
    }
}

TEST(bosh_framing_test, output_is_elements_only_each_qualified) {
    recorder r;
    auto f = make_framing(framing_kind::body, r.events(), {});
    output_units out;
    f->header(xml::stream_header{}, out);
    f->element("<message to='a@example.com'/>", out);
    f->footer(out);
    EXPECT_EQ(out.bytes, "<message xmlns='jabber:client' to='a@example.com'/>");
}

TEST(stream_framing_test, bytes_pass_through_and_units_coalesce) {
    recorder r;
    auto f = make_framing(framing_kind::stream, r.events(), {});
    f->feed(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='example.com' version='1.0'><presence/>");
    EXPECT_EQ(r.log, (std::vector<std::string>{"open stream to=example.com",
                                               "element presence jabber:client"}));
    output_units out;
    f->element("<presence/>", out);
    f->footer(out);
    EXPECT_EQ(out.bytes, "<presence/></stream:stream>");
    EXPECT_EQ(out.ends.size(), 2u);
}

}  // namespace
}  // namespace server
