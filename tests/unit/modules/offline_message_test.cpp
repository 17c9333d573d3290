// XEP-0160 / XEP-0203 offline message data: what is stored, and the delayed copy
// a returning resource receives.
#include "modules/offline/offline_message.hpp"

#include <gtest/gtest.h>

#include "xml/builder.hpp"
#include "xml/fragment.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace modules {
namespace {

namespace ns = xml::ns;

xml::element_ptr message(std::string_view type) {
    xml::builder b(ns::client, "message");
    b.attr("from", "alice@example.com/a").attr("to", "bob@example.com").attr("id", "m1");
    if (!type.empty()) b.attr("type", type);
    return b.text_child(ns::client, "body", "hi").done();
}

TEST(offline_message, chat_and_normal_are_stored) {
    // XEP-0160 §3; a missing type means normal (RFC 6121 §5.2.2).
    EXPECT_TRUE(is_storable(*message("chat")));
    EXPECT_TRUE(is_storable(*message("normal")));
    EXPECT_TRUE(is_storable(*message("")));
}

TEST(offline_message, groupchat_headline_and_error_never_are) {
    EXPECT_FALSE(is_storable(*message("groupchat")));
    EXPECT_FALSE(is_storable(*message("headline")));
    EXPECT_FALSE(is_storable(*message("error")));
    EXPECT_FALSE(is_storable(*message("bogus")));
}

TEST(offline_message, only_messages_are_stored) {
    EXPECT_FALSE(is_storable(*xml::builder(ns::client, "presence").done()));
    EXPECT_FALSE(is_storable(*xml::builder("urn:other", "message").done()));
}

TEST(offline_message, stamps_are_xep0082_utc_with_milliseconds) {
    EXPECT_EQ(stamp(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(stamp(1764086400123), "2025-11-25T16:00:00.123Z");
}

TEST(offline_message, delayed_copy_is_addressed_to_the_resource_and_carries_the_delay) {
    auto original = xml::builder(*message("chat"))
                        .text_child(ns::client, "thread", "t1")
                        .child(xml::builder("urn:xmpp:receipts", "request"))
                        .done();
    // Stored as text, read back: what a flush after a restart sees.
    auto stored = xml::parse_fragment(xml::to_string(*original, ns::client));
    ASSERT_TRUE(stored);
    auto out = delayed_copy(*stored, "bob@example.com/phone", "example.com", 1764086400123);
    EXPECT_EQ(out->attr_or("to", ""), "bob@example.com/phone");
    EXPECT_EQ(out->attr_or("from", ""), "alice@example.com/a");
    EXPECT_EQ(out->attr_or("id", ""), "m1");
    EXPECT_EQ(out->attr_or("type", ""), "chat");
    ASSERT_TRUE(out->child(ns::client, "body"));
    EXPECT_EQ(out->child(ns::client, "body")->text(), "hi");
    EXPECT_TRUE(out->child(ns::client, "thread"));
    EXPECT_TRUE(out->child("urn:xmpp:receipts", "request"));
    const auto* delay = out->child(ns_delay, "delay");
    ASSERT_TRUE(delay);
    EXPECT_EQ(delay->attr_or("from", ""), "example.com");
    EXPECT_EQ(delay->attr_or("stamp", ""), "2025-11-25T16:00:00.123Z");
    // The stored element itself is not changed (elements are immutable once shared).
    EXPECT_EQ(stored->attr_or("to", ""), "bob@example.com");
    EXPECT_FALSE(stored->child(ns_delay, "delay"));
}

}  // namespace
}  // namespace modules
