// xml::stream_parser: XMPP framing, restarts, RFC 6120 §11 restricted XML, and
// the limits that keep hostile input cheap.
#include "xml/stream_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace xml {
namespace {

const std::string header =
    "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

// Records every event as text, so two runs can be compared whole.
struct recorder {
    std::vector<std::string> events;
    std::vector<element_ptr> elements;
    std::optional<parse_error> error;
    std::size_t fed_at_error = 0;
    std::size_t fed = 0;

    parser_events callbacks() {
        return {
            .on_open =
                [this](const element& h) {
                    events.push_back("open {" + h.ns() + "}" + h.local_name() +
                                     " to=" + std::string(h.attr_or("to", "")));
                },
            .on_element =
                [this](element_ptr el) {
                    events.push_back("element " + to_string(*el, ns::client));
                    elements.push_back(std::move(el));
                },
            .on_close = [this] { events.push_back("close"); },
            .on_error =
                [this](parse_error e, std::string detail) {
                    error = e;
                    fed_at_error = fed;
                    events.push_back("error " + detail);
                },
        };
    }
};

struct harness {
    recorder rec;
    stream_parser parser;
    explicit harness(parser_limits limits = {}) : parser(rec.callbacks(), limits) {}
    bool feed(std::string_view s) {
        rec.fed += s.size();
        return parser.feed(s);
    }
};

const std::string sample = header +
                           "<message to='juliet@example.com' type='chat' xml:lang='en'>"
                           "<body>caf\xc3\xa9 &amp; &lt;tea&gt; &apos;now&apos;</body>"
                           "<x xmlns='urn:example:x' a='1'><y/></x></message>"
                           " \n\t"
                           "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
                           "</stream:stream>";

TEST(stream_parser_test, reports_header_stanzas_and_close) {
    harness h;
    EXPECT_TRUE(h.feed(sample));
    ASSERT_EQ(h.rec.events.size(), 4u);
    EXPECT_EQ(h.rec.events[0], "open {http://etherx.jabber.org/streams}stream to=example.com");
    EXPECT_EQ(h.rec.events[3], "close");
    ASSERT_EQ(h.rec.elements.size(), 2u);
    const auto& msg = *h.rec.elements[0];
    EXPECT_EQ(msg.ns(), ns::client);
    EXPECT_EQ(msg.local_name(), "message");
    EXPECT_EQ(msg.attr(ns::xml, "lang").value_or(""), "en");
    EXPECT_EQ(msg.child(ns::client, "body")->text(), "caf\xc3\xa9 & <tea> 'now'");
    const auto* x = msg.child("urn:example:x", "x");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->attr_or("a", ""), "1");
    EXPECT_NE(x->child("urn:example:x", "y"), nullptr);
    EXPECT_EQ(h.rec.elements[1]->first_child()->name(), (qname{"urn:xmpp:ping", "ping"}));
}

TEST(stream_parser_test, split_at_every_byte_boundary_gives_identical_events) {
    harness whole;
    whole.feed(sample);
    for (std::size_t cut = 1; cut < sample.size(); ++cut) {
        harness h;
        h.feed(sample.substr(0, cut));
        h.feed(sample.substr(cut));
        ASSERT_EQ(h.rec.events, whole.rec.events) << "split at byte " << cut;
    }
}

TEST(stream_parser_test, byte_by_byte_gives_identical_events) {
    harness whole;
    whole.feed(sample);
    harness h;
    for (char c : sample) h.feed(std::string_view(&c, 1));
    EXPECT_EQ(h.rec.events, whole.rec.events);
}

TEST(stream_parser_test, reset_inside_a_callback_hands_the_rest_to_a_fresh_parser) {
    recorder rec;
    std::unique_ptr<stream_parser> parser;
    auto cb = rec.callbacks();
    auto on_element = cb.on_element;
    cb.on_element = [&](element_ptr el) {
        bool restart = el->local_name() == "starttls";
        on_element(std::move(el));
        if (restart) parser->reset();  // RFC 6120 §5.4.3.3
    };
    parser = std::make_unique<stream_parser>(cb);
    // One feed: header, <starttls/>, then a new header and a stanza.
    EXPECT_TRUE(parser->feed(header + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" +
                             header + "<presence/>"));
    ASSERT_EQ(rec.events.size(), 4u);
    EXPECT_TRUE(rec.events[0].starts_with("open"));
    EXPECT_TRUE(rec.events[1].starts_with("element <starttls"));
    EXPECT_TRUE(rec.events[2].starts_with("open"));
    EXPECT_EQ(rec.events[3], "element <presence/>");
}

TEST(stream_parser_test, reset_from_outside_starts_a_new_stream) {
    harness h;
    h.feed(header + "<presence/>");
    h.parser.reset();
    EXPECT_TRUE(h.feed(header + "<presence type='unavailable'/>"));
    EXPECT_EQ(h.rec.elements.size(), 2u);
    EXPECT_FALSE(h.rec.error);
}

TEST(stream_parser_test, whitespace_keepalives_are_ignored) {
    harness h;
    h.feed(header);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(h.feed(" "));
    EXPECT_TRUE(h.feed("\n<presence/>\r\n"));
    EXPECT_EQ(h.rec.elements.size(), 1u);
    EXPECT_FALSE(h.rec.error);
}

struct hostile_case {
    const char* name;
    std::string input;
    parse_error expected;
};

class hostile_input : public ::testing::TestWithParam<hostile_case> {};

TEST_P(hostile_input, ends_the_stream_with_the_right_error) {
    harness h;
    EXPECT_FALSE(h.feed(GetParam().input));
    ASSERT_TRUE(h.rec.error) << GetParam().name;
    EXPECT_EQ(*h.rec.error, GetParam().expected) << GetParam().name;
    // Nothing is reported after the error, whatever comes next.
    auto count = h.rec.events.size();
    EXPECT_FALSE(h.feed("<presence/>" + header));
    EXPECT_EQ(h.rec.events.size(), count);
}

const std::string billion_laughs =
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>]>"
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    "<message><body>&lol2;</body></message>";

INSTANTIATE_TEST_SUITE_P(
    rfc6120_section11, hostile_input,
    ::testing::Values(
        hostile_case{"billion laughs", billion_laughs, parse_error::restricted_xml},
        hostile_case{"doctype", "<!DOCTYPE x>" + header, parse_error::restricted_xml},
        hostile_case{"comment", header + "<!-- hi -->", parse_error::restricted_xml},
        hostile_case{"comment in stanza", header + "<message><!-- hi --></message>",
                     parse_error::restricted_xml},
        hostile_case{"processing instruction", header + "<?php echo 1; ?>",
                     parse_error::restricted_xml},
        hostile_case{"latin-1 declaration",
                     "<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream "
                     "xmlns:stream='http://etherx.jabber.org/streams'>",
                     parse_error::unsupported_encoding},
        hostile_case{"undefined entity", header + "<message><body>&foo;</body></message>",
                     parse_error::not_well_formed},
        hostile_case{"invalid utf-8", header + "<message><body>\xff\xfe</body></message>",
                     parse_error::not_well_formed},
        hostile_case{"nul byte", header + std::string("<message>\0</message>", 20),
                     parse_error::not_well_formed},
        hostile_case{"mismatched tags", header + "<message><body></message>",
                     parse_error::not_well_formed},
        hostile_case{"unbound prefix", header + "<foo:bar/>", parse_error::not_well_formed},
        hostile_case{"garbage", "<<<>>>", parse_error::not_well_formed},
        hostile_case{"text between stanzas", header + "hello", parse_error::not_well_formed}),
    [](const auto& info) {
        std::string n = info.param.name;
        for (auto& c : n)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return n;
    });

TEST(stream_parser_test, utf8_declaration_is_accepted) {
    harness h;
    EXPECT_TRUE(
        h.feed("<?xml version='1.0' encoding='UTF-8'?>" + header.substr(21) + "<presence/>"));
    EXPECT_EQ(h.rec.elements.size(), 1u);
}

TEST(stream_parser_test, huge_stanza_fails_before_it_is_all_read) {
    harness h;  // default limit: 256 KiB
    h.feed(header + "<message><body>");
    std::string chunk(4096, 'A');
    for (int i = 0; i < 256 && h.feed(chunk); ++i) {
    }
    ASSERT_EQ(h.rec.error, parse_error::policy_violation);
    EXPECT_LE(h.rec.fed_at_error, header.size() + 256 * 1024 + 32 * 1024);
}

TEST(stream_parser_test, huge_attribute_value_is_a_policy_violation) {
    parser_limits limits;
    limits.max_stanza_bytes = 4096;
    harness h(limits);
    EXPECT_FALSE(h.feed(header + "<message to='" + std::string(10000, 'a') + "'/>"));
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);
}

TEST(stream_parser_test, stanzas_under_the_limit_pass_one_after_another) {
    parser_limits limits;
    limits.max_stanza_bytes = 4096;
    harness h(limits);
    h.feed(header);
    std::string stanza = "<message><body>" + std::string(3000, 'b') + "</body></message>";
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(h.feed(stanza)) << i;
    EXPECT_EQ(h.rec.elements.size(), 50u);
}

TEST(stream_parser_test, deep_nesting_is_a_policy_violation) {
    harness h;
    std::string deep = header;
    for (int i = 0; i < 10000; ++i) deep += "<a>";
    EXPECT_FALSE(h.feed(deep));
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);
}

TEST(stream_parser_test, too_many_attributes_is_a_policy_violation) {
    harness h;
    std::string el = header + "<message";
    for (int i = 0; i < 1000; ++i) el += " a" + std::to_string(i) + "='x'";
    el += "/>";
    EXPECT_FALSE(h.feed(el));
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);
}

TEST(stream_parser_test, oversized_header_is_a_policy_violation) {
    harness h;
    EXPECT_FALSE(h.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" +
                        std::string(20000, 'x')));
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);
}

// A stanza is reported as soon as its last byte arrives, even alone: nothing may
// wait in the server for bytes the client will not send (expat's reparse
// deferral would hold it back).
TEST(stream_parser_test, last_byte_arriving_alone_completes_the_stanza) {
    harness h;
    h.feed(header);
    std::string stanza =
        "<message to='a@example.com'><body>" + std::string(2000, 'x') + "</body></message>";
    h.feed(stanza.substr(0, stanza.size() - 1));
    EXPECT_EQ(h.rec.elements.size(), 0u);
    h.feed(stanza.substr(stanza.size() - 1));
    EXPECT_EQ(h.rec.elements.size(), 1u);
}

TEST(stream_parser_test, one_huge_token_in_small_pieces_is_a_policy_violation) {
    harness h;
    h.feed(header + "<message to='");
    std::string piece(512, 'a');
    for (int i = 0; i < 200 && h.feed(piece); ++i) {
    }
    ASSERT_EQ(h.rec.error, parse_error::policy_violation);
    EXPECT_LE(h.rec.fed_at_error, header.size() + 32 * 1024 + 1024);
}

TEST(stream_parser_test, long_text_in_small_pieces_is_fine) {
    harness h;
    h.feed(header + "<message><body>");
    std::string piece(512, 't');
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(h.feed(piece)) << i;  // 100 KiB of text
    EXPECT_TRUE(h.feed("</body></message>"));
    ASSERT_EQ(h.rec.elements.size(), 1u);
    EXPECT_EQ(h.rec.elements[0]->child(ns::client, "body")->text().size(), 200u * 512u);
}

TEST(stream_parser_test, stop_ends_event_delivery) {
    harness h;
    h.feed(header);
    h.parser.stop();
    EXPECT_FALSE(h.feed("<presence/>"));
    EXPECT_EQ(h.rec.elements.size(), 0u);
}

// release(): an idle stream gives its expat parser back and the next feed()
// goes on in a fresh one primed with the stream element's start tag.

const std::string ns_header =
    "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:e='urn:example:e' "
    "xml:lang='en' version='1.0'>";

const std::string stanzas =
    "<message to='juliet@example.com' type='chat' xml:lang='de'>"
    "<body>caf\xc3\xa9 &amp; &lt;tea&gt;</body>"
    "<x xmlns='urn:example:x' a='1'><y/></x></message>"
    " \n"
    "<iq type='get' id='r1'><q:query xmlns:q='jabber:iq:roster'/></iq>"
    "<e:ping e:n='1'/>"
    "<presence/>";

TEST(stream_parser_release_test, released_between_stanzas_and_resumed_on_the_next_feed) {
    harness h;
    EXPECT_TRUE(h.feed(ns_header + "<presence/>"));
    EXPECT_FALSE(h.parser.released());
    EXPECT_TRUE(h.parser.release());
    EXPECT_TRUE(h.parser.released());
    EXPECT_TRUE(h.parser.release());  // already released
    EXPECT_EQ(h.parser.pending_bytes(), 0u);
    EXPECT_FALSE(h.parser.in_element());
    EXPECT_TRUE(h.feed("<presence type='unavailable'/>"));
    EXPECT_FALSE(h.parser.released());
    ASSERT_EQ(h.rec.events.size(), 3u);  // the header is reported once
    EXPECT_TRUE(h.rec.events[0].starts_with("open"));
    EXPECT_EQ(h.rec.events[2], "element <presence type='unavailable'/>");
    EXPECT_FALSE(h.rec.error);
}

TEST(stream_parser_release_test,
     stanzas_split_at_every_byte_after_a_release_give_identical_events) {
    harness whole;
    whole.feed(ns_header + "<presence/>" + stanzas);
    for (std::size_t cut = 1; cut < stanzas.size(); ++cut) {
        harness h;
        h.feed(ns_header + "<presence/>");
        ASSERT_TRUE(h.parser.release());
        h.feed(stanzas.substr(0, cut));
        // Released again wherever the cut allows it; refused anywhere else.
        h.parser.release();
        h.feed(stanzas.substr(cut));
        ASSERT_EQ(h.rec.events, whole.rec.events) << "split at byte " << cut;
    }
}

TEST(stream_parser_release_test, released_after_every_stanza_gives_identical_events) {
    harness whole;
    std::string many;
    for (int i = 0; i < 100; ++i) many += stanzas;
    whole.feed(ns_header + many);
    harness h;
    h.feed(ns_header);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(h.parser.release()) << i;
        ASSERT_TRUE(h.feed(stanzas)) << i;
    }
    EXPECT_EQ(h.rec.events, whole.rec.events);
}

TEST(stream_parser_release_test, namespaces_and_language_survive_a_release) {
    harness h;
    // The header itself arrives in pieces.
    for (std::size_t i = 0; i < ns_header.size(); i += 7) h.feed(ns_header.substr(i, 7));
    ASSERT_TRUE(h.parser.release());
    ASSERT_TRUE(h.feed(stanzas));
    ASSERT_EQ(h.rec.elements.size(), 4u);
    const auto& msg = *h.rec.elements[0];
    EXPECT_EQ(msg.name(), (qname{std::string(ns::client), "message"}));
    EXPECT_EQ(msg.attr(ns::xml, "lang").value_or(""), "de");
    EXPECT_EQ(msg.child(ns::client, "body")->text(), "caf\xc3\xa9 & <tea>");
    ASSERT_NE(msg.child("urn:example:x", "x"), nullptr);
    EXPECT_EQ(h.rec.elements[1]->first_child()->name(), (qname{"jabber:iq:roster", "query"}));
    // A prefix the stream element declared.
    EXPECT_EQ(h.rec.elements[2]->name(), (qname{"urn:example:e", "ping"}));
    EXPECT_EQ(h.rec.elements[2]->attr("urn:example:e", "n").value_or(""), "1");
    EXPECT_EQ(h.rec.elements[3]->name(), (qname{std::string(ns::client), "presence"}));
    // An undeclared prefix is still an error.
    EXPECT_FALSE(h.feed("<foo:bar/>"));
    EXPECT_EQ(h.rec.error, parse_error::not_well_formed);
}

TEST(stream_parser_release_test, closing_tag_after_a_release_closes_the_stream) {
    harness h;
    h.feed(ns_header + "<presence/>");
    ASSERT_TRUE(h.parser.release());
    EXPECT_TRUE(h.feed("</stream:stream>"));
    EXPECT_EQ(h.rec.events.back(), "close");
    EXPECT_FALSE(h.rec.error);
}

TEST(stream_parser_release_test, wrong_closing_tag_after_a_release_is_not_well_formed) {
    harness h;
    h.feed(ns_header);
    ASSERT_TRUE(h.parser.release());
    EXPECT_FALSE(h.feed("</stream>"));
    EXPECT_EQ(h.rec.error, parse_error::not_well_formed);
}

TEST(stream_parser_release_test, whitespace_keepalives_leave_the_parser_released) {
    harness h;
    h.feed(ns_header + "<presence/> \n");
    ASSERT_TRUE(h.parser.release());
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(h.feed(" "));
    EXPECT_TRUE(h.feed("\r\n\t"));
    EXPECT_TRUE(h.parser.released());
    EXPECT_TRUE(h.feed("\n<presence type='unavailable'/>\n"));
    EXPECT_FALSE(h.parser.released());
    EXPECT_EQ(h.rec.elements.size(), 2u);
    EXPECT_FALSE(h.rec.error);
    // Whitespace parsed by the live parser is no obstacle either.
    EXPECT_TRUE(h.parser.release());
}

TEST(stream_parser_release_test, refused_anywhere_but_between_stanzas) {
    {
        harness h;  // nothing yet
        EXPECT_FALSE(h.parser.release());
    }
    {
        harness h;  // header incomplete
        h.feed(ns_header.substr(0, ns_header.size() - 3));
        EXPECT_FALSE(h.parser.release());
        h.feed(ns_header.substr(ns_header.size() - 3));
        EXPECT_TRUE(h.parser.release());
    }
    {
        harness h;  // inside a stanza
        h.feed(ns_header + "<message><body>hel");
        EXPECT_TRUE(h.parser.in_element());
        EXPECT_FALSE(h.parser.release());
        EXPECT_TRUE(h.feed("lo</body></message>"));
        ASSERT_EQ(h.rec.elements.size(), 1u);
        EXPECT_EQ(h.rec.elements[0]->child(ns::client, "body")->text(), "hello");
    }
    {
        harness h;  // a start tag not yet complete: bytes expat holds unparsed
        h.feed(ns_header + "<presence/><mess");
        EXPECT_FALSE(h.parser.in_element());
        EXPECT_GT(h.parser.pending_bytes(), 0u);
        EXPECT_FALSE(h.parser.release());
        EXPECT_TRUE(h.feed("age/>"));
        EXPECT_EQ(h.rec.elements.size(), 2u);
        EXPECT_TRUE(h.parser.release());
    }
    {
        harness h;  // half a UTF-8 character
        h.feed(ns_header + "<message><body>caf\xc3");
        EXPECT_FALSE(h.parser.release());
        h.feed("\xa9</body></message>");
        EXPECT_EQ(h.rec.elements.size(), 1u);
    }
    {
        harness h;  // after an error
        h.feed(ns_header + "<!-- no -->");
        ASSERT_TRUE(h.rec.error);
        EXPECT_FALSE(h.parser.release());
    }
    {
        harness h;  // stopped
        h.feed(ns_header);
        h.parser.stop();
        EXPECT_FALSE(h.parser.release());
        EXPECT_FALSE(h.feed("<presence/>"));
    }
    {
        harness h;  // after the stream closed
        h.feed(ns_header + "</stream:stream>");
        EXPECT_FALSE(h.parser.release());
    }
}

TEST(stream_parser_release_test, refused_from_inside_a_callback_and_while_a_reset_is_pending) {
    recorder rec;
    std::unique_ptr<stream_parser> parser;
    std::vector<bool> results;
    auto cb = rec.callbacks();
    auto on_element = cb.on_element;
    cb.on_element = [&](element_ptr el) {
        bool restart = el->local_name() == "starttls";
        on_element(std::move(el));
        results.push_back(parser->release());
        if (restart) {
            parser->reset();
            results.push_back(parser->release());
        }
    };
    parser = std::make_unique<stream_parser>(cb);
    EXPECT_TRUE(parser->feed(header +
                             "<presence/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" +
                             header + "<presence/>"));
    EXPECT_EQ(results, (std::vector<bool>{false, false, false, false}));
    EXPECT_EQ(rec.elements.size(), 3u);
    EXPECT_TRUE(parser->release());
}

TEST(stream_parser_release_test, reset_after_a_release_starts_a_new_stream) {
    harness h;
    h.feed(ns_header + "<presence/>");
    ASSERT_TRUE(h.parser.release());
    h.parser.reset();
    EXPECT_FALSE(h.parser.released());
    EXPECT_FALSE(h.parser.release());  // no stream yet
    EXPECT_TRUE(h.feed(header + "<presence type='unavailable'/>"));
    ASSERT_EQ(h.rec.events.size(), 4u);
    EXPECT_TRUE(h.rec.events[2].starts_with("open"));
    EXPECT_EQ(h.rec.events[3], "element <presence type='unavailable'/>");
    // The new stream's header is the one replayed after the next release: the
    // old one's e: prefix is gone.
    ASSERT_TRUE(h.parser.release());
    EXPECT_FALSE(h.feed("<e:ping/>"));
    EXPECT_EQ(h.rec.error, parse_error::not_well_formed);
}

TEST(stream_parser_release_test, restart_inside_a_callback_after_a_release) {
    recorder rec;
    std::unique_ptr<stream_parser> parser;
    auto cb = rec.callbacks();
    auto on_element = cb.on_element;
    cb.on_element = [&](element_ptr el) {
        bool restart = el->local_name() == "success";
        on_element(std::move(el));
        if (restart) parser->reset();
    };
    parser = std::make_unique<stream_parser>(cb);
    EXPECT_TRUE(parser->feed(header));
    ASSERT_TRUE(parser->release());
    EXPECT_TRUE(parser->feed("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + header +
                             "<presence/>"));
    ASSERT_EQ(rec.events.size(), 4u);
    EXPECT_TRUE(rec.events[2].starts_with("open"));
    EXPECT_EQ(rec.events[3], "element <presence/>");
    EXPECT_TRUE(parser->release());
    EXPECT_TRUE(parser->feed("</stream:stream>"));
    EXPECT_EQ(rec.events.back(), "close");
}

TEST(stream_parser_release_test, stanza_limit_counts_from_the_resume_point) {
    parser_limits limits;
    limits.max_stanza_bytes = 4096;
    harness h(limits);
    h.feed(ns_header);
    // Just under the limit passes after every release...
    std::string body(4096 - std::string("<message><body></body></message>").size(), 'b');
    std::string fits = "<message><body>" + body + "</body></message>";
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(h.parser.release());
        ASSERT_TRUE(h.feed(fits)) << i;
    }
    EXPECT_EQ(h.rec.elements.size(), 5u);
    // ...one byte more does not, whole or in pieces.
    ASSERT_TRUE(h.parser.release());
    EXPECT_FALSE(h.feed("<message><body>" + body + "b</body></message>"));
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);

    harness pieces(limits);
    pieces.feed(ns_header);
    ASSERT_TRUE(pieces.parser.release());
    pieces.feed("<message><body>");
    for (int i = 0; i < 10 && pieces.feed(std::string(512, 'b')); ++i) {
    }
    EXPECT_EQ(pieces.rec.error, parse_error::policy_violation);
    EXPECT_LE(pieces.rec.fed_at_error, ns_header.size() + 4096 + 512);
}

TEST(stream_parser_release_test, token_limit_still_holds_after_a_release) {
    harness h;
    h.feed(ns_header);
    ASSERT_TRUE(h.parser.release());
    h.feed("<message to='");
    for (int i = 0; i < 200 && h.feed(std::string(512, 'a')); ++i) {
    }
    EXPECT_EQ(h.rec.error, parse_error::policy_violation);
    EXPECT_LE(h.rec.fed_at_error, ns_header.size() + 32 * 1024 + 1024);
}

TEST(stream_parser_release_test, header_over_the_limit_is_never_released) {
    parser_limits limits;
    limits.max_header_bytes = 64;
    harness h(limits);
    EXPECT_TRUE(h.feed(ns_header));  // arrived whole: accepted, but not kept
    EXPECT_FALSE(h.parser.release());
    EXPECT_TRUE(h.feed("<presence/>"));
    EXPECT_EQ(h.rec.elements.size(), 1u);
}

struct restricted_case {
    const char* name;
    std::string input;
    parse_error expected;
};

class restricted_after_release : public ::testing::TestWithParam<restricted_case> {};

TEST_P(restricted_after_release, ends_the_stream_with_the_right_error) {
    harness h;
    h.feed(ns_header + "<presence/>");
    ASSERT_TRUE(h.parser.release());
    EXPECT_FALSE(h.feed(GetParam().input));
    ASSERT_TRUE(h.rec.error) << GetParam().name;
    EXPECT_EQ(*h.rec.error, GetParam().expected) << GetParam().name;
    auto count = h.rec.events.size();
    EXPECT_FALSE(h.feed("<presence/>"));
    EXPECT_EQ(h.rec.events.size(), count);
    EXPECT_FALSE(h.parser.release());
}

INSTANTIATE_TEST_SUITE_P(
    rfc6120_section11, restricted_after_release,
    ::testing::Values(
        restricted_case{"comment", "<!-- hi -->", parse_error::restricted_xml},
        restricted_case{"comment in stanza", "<message><!-- hi --></message>",
                        parse_error::restricted_xml},
        restricted_case{"processing instruction", "<?php echo 1; ?>", parse_error::restricted_xml},
        restricted_case{"doctype", "<!DOCTYPE x>", parse_error::not_well_formed},
        restricted_case{"undefined entity", "<message><body>&foo;</body></message>",
                        parse_error::not_well_formed},
        restricted_case{"invalid utf-8", "<message><body>\xff\xfe</body></message>",
                        parse_error::not_well_formed},
        restricted_case{"second header", ns_header, parse_error::not_well_formed},
        restricted_case{"text between stanzas", "hello", parse_error::not_well_formed}),
    [](const auto& info) {
        std::string n = info.param.name;
        for (auto& c : n)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return n;
    });

}  // namespace
}  // namespace xml
