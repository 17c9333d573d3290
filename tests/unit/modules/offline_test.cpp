// The offline module in-process with the real router, module host and storage
// threads on a SQLite file: the paths the wire tests cannot reach on purpose (a
// failing database, a resource that vanishes while its queue is flushed, a
// resource that came online while a message was being stored).
#include "modules/offline/offline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <mutex>

#include "modules/offline/offline_message.hpp"
#include "server/hooks/module_host.hpp"
#include "server/router/router.hpp"
#include "server/storage_executor.hpp"
#include "storage/accounts.hpp"
#include "storage/store.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/recording_endpoint.hpp"
#include "tests/support/test_dir.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace modules {
namespace {

namespace ns = xml::ns;

using test_support::J;
using test_support::recording_endpoint;

class offline_test : public ::testing::Test {
  protected:
    void SetUp() override {
        h_.open("offline", "example.com", {"alice", "bob"});
        ASSERT_FALSE(h_.start({offline_module_info()}));
        alice_ = bind("alice@example.com/a");
    }

    void TearDown() override { h_.close(); }

    std::shared_ptr<recording_endpoint> bind(std::string_view full, bool available = true,
                                             int priority = 0) {
        auto ep = std::make_shared<recording_endpoint>();
        h_.router->sessions().bind(J(full), ep, "127.0.0.1", 10);
        if (available) h_.router->sessions().set_presence(J(full), true, priority, nullptr);
        return ep;
    }

    xml::element_ptr chat(std::string_view to, std::string_view body) {
        return xml::builder(ns::client, "message")
            .attr("from", "alice@example.com/a")
            .attr("to", to)
            .attr("type", "chat")
            .attr("id", body)
            .text_child(ns::client, "body", body)
            .done();
    }

    void send(std::string_view to, std::string_view body) {
        h_.router->route(server::routed_stanza{chat(to, body), J("alice@example.com/a"), J(to),
                                               server::origin::client});
    }

    // Waits until every job already queued for bob's account has run.
    void settle() {
        std::promise<void> done;
        h_.storage->post_ordered("bob@example.com",
                                 [&done](storage::database&) { done.set_value(); });
        ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    }

    std::vector<std::string> queued() {
        auto all =
            storage::archive_store(*h_.db, std::string(offline_store)).list({"bob", "example.com"});
        std::vector<std::string> out;
        for (const auto& e : all.value()) out.push_back(e.with + " " + e.value);
        return out;
    }

    std::size_t queue_size() {
        return storage::archive_store(*h_.db, std::string(offline_store))
            .count({"bob", "example.com"})
            .value();
    }

    test_support::module_harness h_;
    std::shared_ptr<recording_endpoint> alice_;
};

TEST_F(offline_test, stored_then_flushed_in_order_to_the_resource_that_came_online) {
    for (auto body : {"one", "two", "three"}) send("bob@example.com", body);
    settle();
    EXPECT_EQ(queue_size(), 3u);
    EXPECT_TRUE(alice_->received.empty());
    auto bob = bind("bob@example.com/r");
    h_.events.fire(server::resource_available{J("bob@example.com/r"), 0});
    settle();
    EXPECT_EQ(bob->bodies(), (std::vector<std::string>{"one", "two", "three"}));
    for (const auto& m : bob->received) {
        EXPECT_EQ(m->attr_or("to", ""), "bob@example.com/r");
        const auto* delay = m->child(ns_delay, "delay");
        ASSERT_TRUE(delay);
        EXPECT_EQ(delay->attr_or("from", ""), "example.com");
    }
    EXPECT_EQ(queue_size(), 0u);
}

TEST_F(offline_test, a_failing_database_bounces_to_the_sender) {
    // Another connection takes the table away: the store fails, and the sender
    // hears about it instead of the message vanishing.
    ASSERT_TRUE(h_.db->exec("DROP TABLE archive"));
    send("bob@example.com", "lost?");
    settle();
    ASSERT_EQ(alice_->received.size(), 1u);
    const auto& err = alice_->received[0];
    EXPECT_EQ(err->attr_or("type", ""), "error");
    EXPECT_EQ(err->attr_or("id", ""), "lost?");
    EXPECT_EQ(err->attr_or("from", ""), "bob@example.com");
    EXPECT_EQ(err->attr_or("to", ""), "alice@example.com/a");
    const auto* e = err->child(ns::client, "error");
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->child(ns::stanzas, "service-unavailable"));
}

TEST_F(offline_test, a_vanished_resource_leaves_the_queue_intact_and_in_order) {
    for (auto body : {"one", "two", "three"}) send("bob@example.com", body);
    settle();
    auto before = queued();
    // Presence came and the session went before the flush ran: every message
    // comes back from the router, and none is stored twice or lost.
    h_.events.fire(server::resource_available{J("bob@example.com/gone"), 0});
    settle();
    EXPECT_EQ(queued(), before);
    EXPECT_TRUE(alice_->received.empty());
    auto bob = bind("bob@example.com/r");
    h_.events.fire(server::resource_available{J("bob@example.com/r"), 0});
    settle();
    EXPECT_EQ(bob->bodies(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(offline_test, a_resource_that_came_online_during_the_store_gets_the_message) {
    // The router found nobody and handed the message over; before the store ran,
    // a resource became available and its own flush found an empty queue.
    auto bob = bind("bob@example.com/r");
    server::message_undeliverable ev{J("bob@example.com"), chat("bob@example.com", "racing")};
    ASSERT_EQ(h_.events.fire(ev), server::handled::yes);
    settle();
    EXPECT_EQ(bob->bodies(), (std::vector<std::string>{"racing"}));
    EXPECT_TRUE(bob->received[0]->child(ns_delay, "delay"));
    EXPECT_EQ(queue_size(), 0u);
}

TEST_F(offline_test, a_negative_priority_resource_does_not_flush) {
    send("bob@example.com", "wait");
    settle();
    auto hidden = bind("bob@example.com/hidden", true, -1);
    h_.events.fire(server::resource_available{J("bob@example.com/hidden"), -1});
    settle();
    EXPECT_TRUE(hidden->received.empty());
    EXPECT_EQ(queue_size(), 1u);
}

TEST_F(offline_test, an_unknown_account_gets_nothing_stored_and_the_sender_an_error) {
    send("nobody@example.com", "hello?");
    std::promise<void> done;
    h_.storage->post_ordered("nobody@example.com",
                             [&done](storage::database&) { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    ASSERT_EQ(alice_->received.size(), 1u);
    EXPECT_EQ(alice_->received[0]->attr_or("from", ""), "nobody@example.com");
    EXPECT_TRUE(
        alice_->received[0]->child(ns::client, "error")->child(ns::stanzas, "service-unavailable"));
    EXPECT_EQ(storage::archive_store(*h_.db, std::string(offline_store))
                  .count({"nobody", "example.com"})
                  .value(),
              0u);
}

}  // namespace
}  // namespace modules
