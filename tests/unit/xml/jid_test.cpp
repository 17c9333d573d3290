// RFC 7622 JIDs: the §3.5 examples, case folding, length limits.
#include "xml/jid.hpp"

#include <gtest/gtest.h>

namespace xml {
namespace {

std::string prepared(std::string_view s) {
    auto j = jid::parse(s);
    return j ? j->str() : "<invalid>";
}

// RFC 7622 §3.5, "Examples of valid JIDs" (and what preparation makes of them).
TEST(jid_test, rfc7622_valid_examples) {
    EXPECT_EQ(prepared("juliet@example.com"), "juliet@example.com");
    EXPECT_EQ(prepared("juliet@example.com/foo"), "juliet@example.com/foo");
    EXPECT_EQ(prepared("juliet@example.com/foo bar"), "juliet@example.com/foo bar");
    EXPECT_EQ(prepared("juliet@example.com/foo@bar"), "juliet@example.com/foo@bar");
    EXPECT_EQ(prepared("foo\\20bar@example.com"), "foo\\20bar@example.com");
    EXPECT_EQ(prepared("fussball@example.com"), "fussball@example.com");
    // RFC 7622's PRECIS profile keeps "ß"; nodeprep (RFC 6122), which deployed
    // servers and clients still use and this server uses for compatibility, maps
    // it to "ss". Both spellings therefore name one account here.
    EXPECT_EQ(prepared("fu\xc3\x9f"
                       "ball@example.com"),
              "fussball@example.com");
    EXPECT_EQ(prepared("\xcf\x80@example.com"), "\xcf\x80@example.com");          // π
    EXPECT_EQ(prepared("\xce\xa3@example.com/foo"), "\xcf\x83@example.com/foo");  // Σ -> σ
    EXPECT_EQ(prepared("\xcf\x83@example.com/foo"), "\xcf\x83@example.com/foo");  // σ
    EXPECT_EQ(prepared("king@example.com/\xe2\x99\x9a"), "king@example.com/\xe2\x99\x9a");  // ♚
    EXPECT_EQ(prepared("example.com"), "example.com");
    EXPECT_EQ(prepared("example.com/foobar"), "example.com/foobar");
    EXPECT_EQ(prepared("a.example.com/b@example.net"), "a.example.com/b@example.net");
}

// RFC 7622 §3.5, "Examples of invalid JIDs", plus empty parts.
TEST(jid_test, rfc7622_invalid_examples) {
    for (const char* bad : {"\"juliet\"@example.com", "foo bar@example.com", "juliet@@example.com",
                            "@example.com", "juliet@", "juliet@example.com/", "example.com/", "",
                            "/resource", "juliet@/foo", "user@exa mple.com", "user@example..com"}) {
        EXPECT_FALSE(jid::parse(bad)) << "accepted: " << bad;
    }
}

TEST(jid_test, localpart_and_domain_fold_case_resource_does_not) {
    auto j = jid::parse("JULIET@EXAMPLE.COM/Balcony");
    ASSERT_TRUE(j);
    EXPECT_EQ(j->local(), "juliet");
    EXPECT_EQ(j->domain(), "example.com");
    EXPECT_EQ(j->resource(), "Balcony");
}

TEST(jid_test, str_equals_is_str_compared) {
    for (std::string_view text : {"juliet@example.com/balcony", "juliet@example.com", "example.com",
                                  "example.com/r", "a@b/c/d"}) {
        auto j = jid::parse(text);
        ASSERT_TRUE(j) << text;
        EXPECT_TRUE(j->str_equals(text)) << text;
        EXPECT_TRUE(j->str_equals(j->str())) << text;
    }
    auto j = *jid::parse("Juliet@Example.com/balcony");
    EXPECT_FALSE(j.str_equals("Juliet@Example.com/balcony"));  // prepared: juliet@example.com
    EXPECT_TRUE(j.str_equals("juliet@example.com/balcony"));
    for (std::string_view other :
         {"", "juliet@example.com", "juliet@example.com/", "juliet@example.com/balc",
          "juliet@example.com/balconyx", "juliet@example.co/balcony", "juliet@example.com:balcony",
          "juliet", "juliet@", "example.com/balcony", "xjuliet@example.com/balcony"})
        EXPECT_FALSE(j.str_equals(other)) << other;
    auto bare = *jid::parse("example.com");
    EXPECT_FALSE(bare.str_equals("example.com/"));
    EXPECT_FALSE(bare.str_equals("@example.com"));
}

TEST(jid_test, domain_trailing_dot_is_removed) {
    EXPECT_EQ(prepared("juliet@example.com."), "juliet@example.com");
}

TEST(jid_test, idn_domain_is_kept_as_lower_case_unicode) {
    EXPECT_EQ(prepared("user@\xc3\x89XAMPLE.com"), "user@\xc3\xa9xample.com");  // É -> é
    EXPECT_EQ(prepared("user@xn--xample-9ua.com"), "user@\xc3\xa9xample.com");
}

TEST(jid_test, ip_literals) {
    EXPECT_EQ(prepared("user@192.0.2.1/r"), "user@192.0.2.1/r");
    EXPECT_EQ(prepared("user@[::1]"), "user@[::1]");
    EXPECT_FALSE(jid::parse("user@[not-an-address]"));
}

TEST(jid_test, part_length_limit_is_1023_bytes) {
    EXPECT_TRUE(jid::parse(std::string(1023, 'a') + "@example.com"));
    EXPECT_FALSE(jid::parse(std::string(1024, 'a') + "@example.com"));
    EXPECT_TRUE(jid::parse("a@example.com/" + std::string(1023, 'r')));
    EXPECT_FALSE(jid::parse("a@example.com/" + std::string(1024, 'r')));
}

TEST(jid_test, invalid_utf8_is_rejected) {
    EXPECT_FALSE(jid::parse("ju\xffliet@example.com"));
    EXPECT_FALSE(jid::parse("juliet@example.com/\xc3"));
}

TEST(jid_test, nodeprep_prohibits_its_characters) {
    for (const char* c : {"&", "'", "/", ":", "<", ">", "@", "\""})
        EXPECT_FALSE(nodeprep(std::string("a") + c + "b")) << c;
}

TEST(jid_test, bare_and_full_forms) {
    auto j = jid::parse("romeo@example.net/orchard");
    ASSERT_TRUE(j);
    EXPECT_FALSE(j->is_bare());
    EXPECT_EQ(j->bare().str(), "romeo@example.net");
    EXPECT_TRUE(j->bare().is_bare());
    EXPECT_EQ(j->bare_str(), "romeo@example.net");
    EXPECT_EQ(j->bare().with_resource("garden").str(), "romeo@example.net/garden");
    EXPECT_TRUE(jid::parse("example.net")->is_domain());
    EXPECT_EQ(*jid::parse("Romeo@Example.net"), *jid::make("romeo", "example.net"));
}

}  // namespace
}  // namespace xml

namespace xml {
namespace {

// The ASCII fast path must decide exactly as ICU's profiles do.
TEST(jid_test, ascii_fast_path_agrees_with_icu_for_every_ascii_character) {
    for (int c = 1; c < 0x80; ++c) {
        for (std::string s : {std::string(1, char(c)), "Ab" + std::string(1, char(c)) + "Z"}) {
            EXPECT_EQ(nodeprep(s), detail::nodeprep_icu(s)) << "nodeprep of char " << c;
            EXPECT_EQ(resourceprep(s), detail::resourceprep_icu(s)) << "resourceprep of char " << c;
        }
    }
    EXPECT_EQ(nodeprep("Juliet"), "juliet");
    EXPECT_EQ(resourceprep("Balcony Room"), "Balcony Room");
    EXPECT_FALSE(nodeprep("jul iet"));
}

}  // namespace
}  // namespace xml
