// XEP-0191 §6 JID matching: an item blocks its own JID and everything under it.
#include "modules/blocking/blocklist.hpp"

#include <gtest/gtest.h>

namespace modules {
namespace {

xml::jid j(const char* s) {
    return xml::jid::parse(s).value();
}

TEST(blocklist, items_match_in_the_xep_0016_order) {
    blocklists b;
    auto alice = j("alice@example.com");
    b.add(alice, {"bob@example.org", "carol@example.org/phone", "spam.example", "x.example/r"});
    EXPECT_TRUE(b.blocks(alice, j("bob@example.org")));
    EXPECT_TRUE(b.blocks(alice, j("bob@example.org/any")));  // bare blocks every resource
    EXPECT_TRUE(b.blocks(alice, j("carol@example.org/phone")));
    EXPECT_FALSE(b.blocks(alice, j("carol@example.org/laptop")));  // full blocks only itself
    EXPECT_FALSE(b.blocks(alice, j("carol@example.org")));
    EXPECT_TRUE(b.blocks(alice, j("anyone@spam.example/r")));  // domain blocks everyone there
    EXPECT_TRUE(b.blocks(alice, j("spam.example")));
    EXPECT_TRUE(b.blocks(alice, j("u@x.example/r")));  // domain/resource
    EXPECT_FALSE(b.blocks(alice, j("u@x.example/other")));
    EXPECT_FALSE(b.blocks(alice, j("dave@example.org")));
    // Lists are per account, and the account's own resources do not matter.
    EXPECT_FALSE(b.blocks(j("zed@example.com"), j("bob@example.org")));
    EXPECT_TRUE(b.blocks(j("alice@example.com/laptop"), j("bob@example.org")));
}

TEST(blocklist, remove_and_clear) {
    blocklists b;
    auto alice = j("alice@example.com");
    b.add(alice, {"a@x", "b@x"});
    b.remove(alice, {"a@x", "not@there"});
    EXPECT_EQ(b.list(alice), std::vector<std::string>{"b@x"});
    b.clear(alice);
    EXPECT_TRUE(b.list(alice).empty());
    EXPECT_FALSE(b.blocks(alice, j("b@x")));
}

}  // namespace
}  // namespace modules
