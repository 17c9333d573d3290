// RFC 6121 Appendix A, row by row: the nine subscription states and how every
// outbound (A.2) and inbound (A.3) subscription stanza changes them.
#include "modules/roster/subscription.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace modules {
namespace {

// The RFC's names for the nine states.
const std::map<std::string, sub_state> states = {
    {"None", {subscription::none, false, false}},
    {"None+PendingOut", {subscription::none, true, false}},
    {"None+PendingIn", {subscription::none, false, true}},
    {"None+PendingOut+PendingIn", {subscription::none, true, true}},
    {"To", {subscription::to, false, false}},
    {"To+PendingIn", {subscription::to, false, true}},
    {"From", {subscription::from, false, false}},
    {"From+PendingOut", {subscription::from, true, false}},
    {"Both", {subscription::both, false, false}},
};

// One table: for each existing state, the new state ("" = no state change).
using table = std::map<std::string, std::string>;

void check(direction dir, sub_type type, const table& expected, const char* section) {
    ASSERT_EQ(expected.size(), states.size()) << section;
    for (const auto& [from, to] : expected) {
        auto got = transition(states.at(from), dir, type);
        if (to.empty()) {
            EXPECT_FALSE(got) << section << ": " << from << " should not change";
        } else {
            ASSERT_TRUE(got) << section << ": " << from << " should become " << to;
            EXPECT_EQ(*got, states.at(to)) << section << ": " << from << " -> " << to;
        }
    }
}

TEST(subscription, a_2_1_outbound_subscribe) {
    check(direction::outbound, sub_type::subscribe,
          {{"None", "None+PendingOut"},
           {"None+PendingOut", ""},
           {"None+PendingIn", "None+PendingOut+PendingIn"},
           {"None+PendingOut+PendingIn", ""},
           {"To", ""},
           {"To+PendingIn", ""},
           {"From", "From+PendingOut"},
           {"From+PendingOut", ""},
           {"Both", ""}},
          "A.2.1");
}

TEST(subscription, a_2_2_outbound_unsubscribe) {
    check(direction::outbound, sub_type::unsubscribe,
          {{"None", ""},
           {"None+PendingOut", "None"},
           {"None+PendingIn", ""},
           {"None+PendingOut+PendingIn", "None+PendingIn"},
           {"To", "None"},
           {"To+PendingIn", "None+PendingIn"},
           {"From", ""},
           {"From+PendingOut", "From"},
           {"Both", "From"}},
          "A.2.2");
}

TEST(subscription, a_2_3_outbound_subscribed) {
    check(direction::outbound, sub_type::subscribed,
          {{"None", ""},
           {"None+PendingOut", ""},
           {"None+PendingIn", "From"},
           {"None+PendingOut+PendingIn", "From+PendingOut"},
           {"To", ""},
           {"To+PendingIn", "Both"},
           {"From", ""},
           {"From+PendingOut", ""},
           {"Both", ""}},
          "A.2.3");
}

TEST(subscription, a_2_4_outbound_unsubscribed) {
    check(direction::outbound, sub_type::unsubscribed,
          {{"None", ""},
           {"None+PendingOut", ""},
           {"None+PendingIn", "None"},
           {"None+PendingOut+PendingIn", "None+PendingOut"},
           {"To", ""},
           {"To+PendingIn", "To"},
           {"From", "None"},
           {"From+PendingOut", "None+PendingOut"},
           {"Both", "To"}},
          "A.2.4");
}

TEST(subscription, a_3_1_inbound_subscribe) {
    check(direction::inbound, sub_type::subscribe,
          {{"None", "None+PendingIn"},
           {"None+PendingOut", "None+PendingOut+PendingIn"},
           {"None+PendingIn", ""},
           {"None+PendingOut+PendingIn", ""},
           {"To", "To+PendingIn"},
           {"To+PendingIn", ""},
           {"From", ""},
           {"From+PendingOut", ""},
           {"Both", ""}},
          "A.3.1");
}

TEST(subscription, a_3_2_inbound_unsubscribe) {
    check(direction::inbound, sub_type::unsubscribe,
          {{"None", ""},
           {"None+PendingOut", ""},
           {"None+PendingIn", "None"},
           {"None+PendingOut+PendingIn", "None+PendingOut"},
           {"To", ""},
           {"To+PendingIn", "To"},
           {"From", "None"},
           {"From+PendingOut", "None+PendingOut"},
           {"Both", "To"}},
          "A.3.2");
}

TEST(subscription, a_3_3_inbound_subscribed) {
    check(direction::inbound, sub_type::subscribed,
          {{"None", ""},
           {"None+PendingOut", "To"},
           {"None+PendingIn", ""},
           {"None+PendingOut+PendingIn", "To+PendingIn"},
           {"To", ""},
           {"To+PendingIn", ""},
           {"From", ""},
           {"From+PendingOut", "Both"},
           {"Both", ""}},
          "A.3.3");
}

TEST(subscription, a_3_4_inbound_unsubscribed) {
    check(direction::inbound, sub_type::unsubscribed,
          {{"None", ""},
           {"None+PendingOut", "None"},
           {"None+PendingIn", ""},
           {"None+PendingOut+PendingIn", "None+PendingIn"},
           {"To", "None"},
           {"To+PendingIn", "None+PendingIn"},
           {"From", ""},
           {"From+PendingOut", "From"},
           {"Both", "From"}},
          "A.3.4");
}

TEST(subscription, names_round_trip) {
    for (auto s : {subscription::none, subscription::to, subscription::from, subscription::both})
        EXPECT_EQ(parse_subscription(to_string(s)), s);
    EXPECT_FALSE(parse_subscription("remove"));
    EXPECT_EQ(parse_sub_type("unsubscribed"), sub_type::unsubscribed);
    EXPECT_FALSE(parse_sub_type("probe"));
    EXPECT_FALSE(parse_sub_type(""));
}

}  // namespace
}  // namespace modules
