#include "server/stream/auth_throttle.hpp"

#include <gtest/gtest.h>

namespace server {
namespace {

using std::chrono::milliseconds;

TEST(auth_throttle_test, first_failures_are_free_then_delays_grow) {
    auth_throttle t(3);
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(0));
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(0));
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(0));
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(250));
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(500));
    EXPECT_EQ(t.failed("192.0.2.1"), milliseconds(1000));
}

TEST(auth_throttle_test, delay_is_capped) {
    auth_throttle t(0);
    milliseconds last{0};
    for (int i = 0; i < 40; ++i) last = t.failed("192.0.2.2");
    EXPECT_EQ(last, milliseconds(8000));
}

TEST(auth_throttle_test, addresses_are_counted_separately) {
    auth_throttle t(1);
    EXPECT_EQ(t.failed("192.0.2.3"), milliseconds(0));
    EXPECT_GT(t.failed("192.0.2.3"), milliseconds(0));
    EXPECT_EQ(t.failed("192.0.2.4"), milliseconds(0));
}

TEST(auth_throttle_test, ipv6_addresses_count_per_64) {
    auth_throttle t(1);
    EXPECT_EQ(t.failed("2001:db8:1:2::1"), milliseconds(0));
    // Another address in the same /64: the same guesser.
    EXPECT_GT(t.failed("2001:db8:1:2:ffff::9"), milliseconds(0));
    EXPECT_EQ(t.failed("2001:db8:1:3::1"), milliseconds(0));
}

}  // namespace
}  // namespace server
