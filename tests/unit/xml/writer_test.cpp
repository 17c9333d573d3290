// Serialization, escaping, and the stanza helpers built on it.
#include "xml/writer.hpp"

#include <gtest/gtest.h>

#include "xml/builder.hpp"
#include "xml/namespaces.hpp"
#include "xml/stanza.hpp"
#include "xml/stream_parser.hpp"

namespace xml {
namespace {

element_ptr parse_one(const std::string& text) {
    element_ptr got;
    stream_parser p({.on_open = [](const element&) {},
                     .on_element = [&](element_ptr el) { got = std::move(el); },
                     .on_close = [] {},
                     .on_error = [](parse_error, std::string d) { ADD_FAILURE() << d; }});
    p.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    p.feed(text);
    return got;
}

TEST(writer_test, escapes_text_and_attributes) {
    auto el = builder(ns::client, "message")
                  .attr("to", "a'b\"c<d>&e")
                  .text_child(ns::client, "body", "1 < 2 & 3 > 2 'q' \"d\"")
                  .done();
    EXPECT_EQ(to_string(*el, ns::client),
              "<message to='a&apos;b&quot;c&lt;d&gt;&amp;e'><body>1 &lt; 2 &amp; 3 &gt; 2 'q' "
              "\"d\"</body></message>");
}

TEST(writer_test, declares_namespaces_only_where_they_change) {
    auto el = builder(ns::client, "iq")
                  .attr("type", "result")
                  .child(builder("urn:xmpp:ping", "ping").child(builder("urn:xmpp:ping", "x")))
                  .done();
    EXPECT_EQ(to_string(*el, ns::client),
              "<iq type='result'><ping xmlns='urn:xmpp:ping'><x/></ping></iq>");
    EXPECT_EQ(
        to_string(*el, ns::server),
        "<iq xmlns='jabber:client' type='result'><ping xmlns='urn:xmpp:ping'><x/></ping></iq>");
}

TEST(writer_test, stream_namespace_uses_the_stream_prefix) {
    auto features = builder(ns::stream, "features")
                        .child(builder(ns::tls, "starttls").child(builder(ns::tls, "required")))
                        .done();
    EXPECT_EQ(to_string(*features, ns::client),
              "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
              "</starttls></stream:features>");
    EXPECT_EQ(to_string(*stream_error_element(stream_condition::host_unknown, "no"), ns::client),
              "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
              "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no</text></stream:error>");
}

TEST(writer_test, xml_lang_and_foreign_attribute_namespaces) {
    auto el =
        builder(ns::client, "body").attr(ns::xml, "lang", "de").attr("urn:x", "a", "1").done();
    auto text = to_string(*el, ns::client);
    EXPECT_EQ(text, "<body xml:lang='de' xmlns:ns1='urn:x' ns1:a='1'/>");
    auto back = parse_one(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->attr(ns::xml, "lang").value_or(""), "de");
    EXPECT_EQ(back->attr("urn:x", "a").value_or(""), "1");
}

TEST(writer_test, parse_write_parse_roundtrip) {
    std::string original =
        "<message to='juliet@example.com' type='chat'><body>caf\xc3\xa9 &amp; &lt;3</body>"
        "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/"
        "xhtml'><p>mixed <b>bold</b> text</p></body></html></message>";
    auto first = parse_one(original);
    ASSERT_TRUE(first);
    auto written = to_string(*first, ns::client);
    auto second = parse_one(written);
    ASSERT_TRUE(second);
    EXPECT_EQ(to_string(*second, ns::client), written);
    EXPECT_EQ(second->child(ns::client, "body")->text(), "caf\xc3\xa9 & <3");
}

TEST(writer_test, open_stream_header) {
    stream_header h;
    h.from = "example.com";
    h.id = "abc";
    h.to = "juliet@example.com";
    EXPECT_EQ(open_stream(h),
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='example.com' "
              "to='juliet@example.com' version='1.0' xml:lang='en'>");
}

TEST(stanza_test, kinds) {
    EXPECT_EQ(stanza(builder(ns::client, "message").done()).kind(), stanza_kind::message);
    EXPECT_EQ(stanza(builder(ns::client, "presence").done()).kind(), stanza_kind::presence);
    EXPECT_EQ(stanza(builder(ns::client, "iq").done()).kind(), stanza_kind::iq);
    EXPECT_EQ(stanza(builder("urn:x", "iq").done()).kind(), stanza_kind::other);
}

TEST(stanza_test, error_reply_swaps_addresses_and_keeps_the_payload) {
    auto iq = builder(ns::client, "iq")
                  .attr("from", "a@example.com/r")
                  .attr("to", "example.com")
                  .attr("type", "get")
                  .attr("id", "x1")
                  .child(builder("urn:example", "query"))
                  .done();
    auto reply = stanza(iq).error_reply(make_error(error_condition::service_unavailable));
    EXPECT_EQ(reply->attr_or("from", ""), "example.com");
    EXPECT_EQ(reply->attr_or("to", ""), "a@example.com/r");
    EXPECT_EQ(reply->attr_or("type", ""), "error");
    EXPECT_EQ(reply->attr_or("id", ""), "x1");
    auto children = reply->children();
    ASSERT_EQ(children.size(), 2u);
    EXPECT_EQ(children[0]->name(), (qname{"urn:example", "query"}));
    EXPECT_EQ(to_string(*children[1], ns::client),
              "<error type='cancel'><service-unavailable "
              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
}

TEST(stanza_test, with_addresses_shares_children) {
    auto msg = builder(ns::client, "message")
                   .attr("to", "b@example.com")
                   .text_child(ns::client, "body", "hi")
                   .done();
    auto stamped = stanza(msg).with_addresses("a@example.com/r", "");
    EXPECT_EQ(stamped->attr_or("from", ""), "a@example.com/r");
    EXPECT_FALSE(stamped->attr("to"));
    EXPECT_EQ(stamped->nodes()[0].child.get(), msg->nodes()[0].child.get());
}

TEST(stanza_test, stamped_changes_a_sole_owner_in_place_and_copies_a_shared_one) {
    auto fresh = builder(ns::client, "message").attr("to", "B@example.com").done();
    const auto* where = fresh.get();
    auto stamped = stanza::stamped(std::move(fresh), "a@example.com/r", "b@example.com");
    EXPECT_EQ(stamped.get(), where);
    EXPECT_EQ(stamped->attr_or("from", ""), "a@example.com/r");
    EXPECT_EQ(stamped->attr_or("to", ""), "b@example.com");

    auto shared = builder(ns::client, "message").attr("to", "c@example.com").done();
    auto copy = stanza::stamped(shared, "a@example.com/r", "");
    EXPECT_NE(copy.get(), shared.get());
    EXPECT_FALSE(copy->attr("to"));
    EXPECT_EQ(shared->attr_or("to", ""), "c@example.com");  // the other holder sees no change
    EXPECT_FALSE(shared->attr("from"));
}

TEST(stanza_test, stamped_without_to_keeps_the_to_as_written) {
    auto fresh = builder(ns::client, "message").attr("to", "b@example.com/x").done();
    auto stamped = stanza::stamped(std::move(fresh), "a@example.com/r", std::nullopt);
    EXPECT_EQ(stamped->attr_or("from", ""), "a@example.com/r");
    EXPECT_EQ(stamped->attr_or("to", ""), "b@example.com/x");

    auto shared = builder(ns::client, "message").attr("to", "c@example.com").done();
    auto copy = stanza::stamped(shared, "a@example.com/r", std::nullopt);
    EXPECT_NE(copy.get(), shared.get());
    EXPECT_EQ(copy->attr_or("to", ""), "c@example.com");
    EXPECT_EQ(copy->attr_or("from", ""), "a@example.com/r");
    EXPECT_FALSE(shared->attr("from"));

    auto none = builder(ns::client, "message").done();
    EXPECT_FALSE(stanza::stamped(std::move(none), "a@example.com/r", std::nullopt)->attr("to"));
}

TEST(stanza_test, iq_result) {
    auto iq = builder(ns::client, "iq")
                  .attr("from", "a@example.com/r")
                  .attr("to", "example.com")
                  .attr("type", "get")
                  .attr("id", "p")
                  .done();
    EXPECT_EQ(to_string(*stanza(iq).iq_result(), ns::client),
              "<iq type='result' id='p' from='example.com' to='a@example.com/r'/>");
}

TEST(stanza_error_test, default_types_follow_rfc6120) {
    EXPECT_EQ(default_type(error_condition::service_unavailable), error_type::cancel);
    EXPECT_EQ(default_type(error_condition::bad_request), error_type::modify);
    EXPECT_EQ(default_type(error_condition::not_authorized), error_type::auth);
    EXPECT_EQ(default_type(error_condition::resource_constraint), error_type::wait);
    EXPECT_EQ(to_string(error_type::continue_), "continue");
    EXPECT_EQ(to_string(error_condition::remote_server_not_found), "remote-server-not-found");
    EXPECT_EQ(to_string(stream_condition::unsupported_stanza_type), "unsupported-stanza-type");
}

}  // namespace
}  // namespace xml
