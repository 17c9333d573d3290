#include "server/hooks/event_bus.hpp"

#include <gtest/gtest.h>

#include <string>

namespace server {
namespace {

TEST(event_bus_test, handlers_run_by_priority_then_registration_order) {
    event_bus bus;
    std::string order;
    bus.on<session_closed>(
        [&](session_closed&) {
            order += "a";
            return handled::no;
        },
        0);
    bus.on<session_closed>(
        [&](session_closed&) {
            order += "b";
            return handled::no;
        },
        10);
    bus.on<session_closed>(
        [&](session_closed&) {
            order += "c";
            return handled::no;
        },
        0);
    session_closed ev;
    EXPECT_EQ(bus.fire(ev), handled::no);
    EXPECT_EQ(order, "bac");
}

TEST(event_bus_test, handled_yes_stops_the_event) {
    event_bus bus;
    int later = 0;
    bus.on<account_removed>([](account_removed&) { return handled::yes; }, 5);
    bus.on<account_removed>(
        [&](account_removed&) {
            ++later;
            return handled::no;
        },
        0);
    account_removed ev{"alice", "example.com"};
    EXPECT_EQ(bus.fire(ev), handled::yes);
    EXPECT_EQ(later, 0);
}

TEST(event_bus_test, events_of_other_types_are_independent) {
    event_bus bus;
    int bound = 0;
    bus.on<session_bound>([&](session_bound&) {
        ++bound;
        return handled::no;
    });
    session_closed closed;
    EXPECT_EQ(bus.fire(closed), handled::no);
    EXPECT_EQ(bound, 0);
    session_bound b;
    bus.fire(b);
    EXPECT_EQ(bound, 1);
}

TEST(event_bus_test, buses_keep_their_own_handlers_whatever_order_types_first_appear_in) {
    // Types are numbered on first use, process-wide; each bus holds only what
    // was registered on it, and a type it never saw (numbered past its end, or
    // before it) has no handlers there.
    struct late_event {};
    struct early_event {};
    event_bus a, b;
    std::string log;
    a.on<early_event>([&](early_event&) {
        log += "a-early ";
        return handled::no;
    });
    b.on<late_event>([&](late_event&) {
        log += "b-late ";
        return handled::no;
    });
    early_event e;
    late_event l;
    EXPECT_EQ(a.fire(l), handled::no);
    EXPECT_EQ(b.fire(e), handled::no);
    a.fire(e);
    b.fire(l);
    EXPECT_EQ(log, "a-early b-late ");
    event_bus empty;
    EXPECT_EQ(empty.fire(e), handled::no);
}

}  // namespace
}  // namespace server
