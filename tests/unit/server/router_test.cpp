// The delivery table, one test per RFC 6121 §8.5 / RFC 6120 §10 row.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/router/router.hpp"
#include "tests/support/recording_endpoint.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace server {
namespace {

namespace ns = xml::ns;

using test_support::J;
using test_support::recording_endpoint;

std::string error_condition_of(const xml::element& el) {
    const auto* err = el.child(ns::client, "error");
    if (!err) return "";
    for (const auto* c : err->children())
        if (c->ns() == ns::stanzas && c->local_name() != "text") return c->local_name();
    return "";
}

class router_test : public ::testing::Test {
  protected:
    router_test() : r({"example.com"}, events, iqs) {}

    std::shared_ptr<recording_endpoint> bind(std::string_view full, bool available = true,
                                             int priority = 0) {
        auto ep = std::make_shared<recording_endpoint>();
        auto j = J(full);
        r.sessions().bind(j, ep, "127.0.0.1", 10);
        if (available) r.sessions().set_presence(j, true, priority, nullptr);
        return ep;
    }

    void send(std::string_view kind, std::string_view from, std::string_view to,
              std::string_view type = "", std::string_view id = "") {
        xml::builder b(ns::client, kind);
        b.attr("from", from);
        if (!to.empty()) b.attr("to", to);
        if (!type.empty()) b.attr("type", type);
        if (!id.empty()) b.attr("id", id);
        if (kind == "message") b.text_child(ns::client, "body", "hi");
        if (kind == "iq") b.child(xml::builder("urn:test", "query"));
        r.route(routed_stanza{b.done(), J(from), to.empty() ? xml::jid{} : J(to)});
    }

    event_bus events;
    iq_dispatch iqs;
    router r;
};

TEST_F(router_test, message_to_bound_full_jid_reaches_only_that_resource) {
    auto alice = bind("alice@example.com/a");
    auto bob1 = bind("bob@example.com/1");
    auto bob2 = bind("bob@example.com/2");
    send("message", "alice@example.com/a", "bob@example.com/2", "chat");
    EXPECT_EQ(bob1->received.size(), 0u);
    ASSERT_EQ(bob2->received.size(), 1u);
    EXPECT_EQ(bob2->received[0]->attr_or("from", ""), "alice@example.com/a");
    EXPECT_EQ(alice->received.size(), 0u);
}

// RFC 6121 §8.5.2.1.1: bare JID -> every available resource with priority >= 0.
TEST_F(router_test, message_to_bare_jid_reaches_non_negative_priorities) {
    bind("alice@example.com/a");
    auto p5a = bind("bob@example.com/x", true, 5);
    auto p5b = bind("bob@example.com/y", true, 5);
    auto neg = bind("bob@example.com/z", true, -1);
    auto unavailable = bind("bob@example.com/w", false);
    send("message", "alice@example.com/a", "bob@example.com", "chat");
    EXPECT_EQ(p5a->received.size(), 1u);
    EXPECT_EQ(p5b->received.size(), 1u);
    EXPECT_EQ(neg->received.size(), 0u);
    EXPECT_EQ(unavailable->received.size(), 0u);
}

// RFC 6121 §8.5.3.2.1: unknown resource -> treated as the bare JID.
TEST_F(router_test, message_to_unknown_resource_falls_back_to_bare_jid) {
    bind("alice@example.com/a");
    auto bob = bind("bob@example.com/home");
    send("message", "alice@example.com/a", "bob@example.com/gone", "chat");
    EXPECT_EQ(bob->received.size(), 1u);
}

// RFC 6121 §8.5.2.2.1: no available resource and nobody stores it -> error.
TEST_F(router_test, message_to_account_without_resources_bounces_service_unavailable) {
    auto alice = bind("alice@example.com/a");
    send("message", "alice@example.com/a", "bob@example.com", "chat", "m1");
    ASSERT_EQ(alice->received.size(), 1u);
    const auto& err = *alice->received[0];
    EXPECT_EQ(err.attr_or("type", ""), "error");
    EXPECT_EQ(err.attr_or("id", ""), "m1");
    EXPECT_EQ(err.attr_or("from", ""), "bob@example.com");
    EXPECT_EQ(err.attr_or("to", ""), "alice@example.com/a");
    EXPECT_EQ(error_condition_of(err), "service-unavailable");
}

TEST_F(router_test, undeliverable_message_taken_by_a_hook_is_not_bounced) {
    int stored = 0;
    events.on<message_undeliverable>([&](message_undeliverable& ev) {
        EXPECT_EQ(ev.to.str(), "bob@example.com");
        ++stored;
        return handled::yes;
    });
    auto alice = bind("alice@example.com/a");
    send("message", "alice@example.com/a", "bob@example.com", "chat");
    EXPECT_EQ(stored, 1);
    EXPECT_EQ(alice->received.size(), 0u);
}

TEST_F(router_test, headline_and_error_messages_to_nobody_are_dropped_without_reply) {
    auto alice = bind("alice@example.com/a");
    send("message", "alice@example.com/a", "bob@example.com", "headline");
    send("message", "alice@example.com/a", "bob@example.com", "error");
    EXPECT_EQ(alice->received.size(), 0u);
}

// RFC 6121 §8.5.2.1.1: an error message to a bare JID is ignored even when
// resources are available; one to a full JID reaches that resource.
TEST_F(router_test, error_message_to_a_bare_jid_is_ignored) {
    auto alice = bind("alice@example.com/a");
    auto bob = bind("bob@example.com/b");
    send("message", "alice@example.com/a", "bob@example.com", "error");
    EXPECT_EQ(bob->received.size(), 0u);
    EXPECT_EQ(alice->received.size(), 0u);
    send("message", "alice@example.com/a", "bob@example.com/b", "error");
    EXPECT_EQ(bob->received.size(), 1u);
}

// RFC 6121 §8.5.2.1.1: headlines go to every non-negative resource.
TEST_F(router_test, headline_to_a_bare_jid_reaches_non_negative_priorities) {
    auto alice = bind("alice@example.com/a");
    auto b1 = bind("bob@example.com/1", true, 1);
    auto b2 = bind("bob@example.com/2", true, 0);
    auto neg = bind("bob@example.com/neg", true, -1);
    send("message", "alice@example.com/a", "bob@example.com", "headline");
    EXPECT_EQ(b1->received.size(), 1u);
    EXPECT_EQ(b2->received.size(), 1u);
    EXPECT_EQ(neg->received.size(), 0u);
}

TEST_F(router_test, groupchat_to_a_bare_jid_bounces) {
    auto alice = bind("alice@example.com/a");
    bind("bob@example.com/b");
    send("message", "alice@example.com/a", "bob@example.com", "groupchat");
    ASSERT_EQ(alice->received.size(), 1u);
    EXPECT_EQ(error_condition_of(*alice->received[0]), "service-unavailable");
}

// RFC 6121 §8.5.3.2.1: IQ to a full JID that is not bound.
TEST_F(router_test, iq_to_offline_full_jid_bounces_service_unavailable) {
    auto alice = bind("alice@example.com/a");
    send("iq", "alice@example.com/a", "bob@example.com/phone", "get", "q1");
    ASSERT_EQ(alice->received.size(), 1u);
    EXPECT_EQ(alice->received[0]->attr_or("id", ""), "q1");
    EXPECT_EQ(error_condition_of(*alice->received[0]), "service-unavailable");
}

TEST_F(router_test, iq_to_host_goes_to_the_registered_handler) {
    int calls = 0;
    iqs.add(iq_type::get, to_kind::host, {"urn:test", "query"}, [&](const iq_request& req) {
        ++calls;
        EXPECT_EQ(req.from().str(), "alice@example.com/a");
        req.reply();
    });
    auto alice = bind("alice@example.com/a");
    send("iq", "alice@example.com/a", "example.com", "get", "q2");
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(alice->received.size(), 1u);
    EXPECT_EQ(alice->received[0]->attr_or("type", ""), "result");
    EXPECT_EQ(alice->received[0]->attr_or("from", ""), "example.com");
    EXPECT_EQ(alice->received[0]->attr_or("id", ""), "q2");
}

TEST_F(router_test, iq_nobody_handles_bounces_service_unavailable) {
    auto alice = bind("alice@example.com/a");
    send("iq", "alice@example.com/a", "example.com", "set", "q3");
    send("iq", "alice@example.com/a", "bob@example.com", "get", "q4");
    ASSERT_EQ(alice->received.size(), 2u);
    EXPECT_EQ(error_condition_of(*alice->received[0]), "service-unavailable");
    EXPECT_EQ(error_condition_of(*alice->received[1]), "service-unavailable");
}

TEST_F(router_test, iq_results_to_the_server_get_no_reply) {
    auto alice = bind("alice@example.com/a");
    send("iq", "alice@example.com/a", "example.com", "result", "r1");
    send("iq", "alice@example.com/a", "example.com", "error", "r2");
    EXPECT_EQ(alice->received.size(), 0u);
}

// RFC 6120 §10.4.3 without server-to-server.
TEST_F(router_test, remote_domain_bounces_remote_server_not_found) {
    auto alice = bind("alice@example.com/a");
    send("message", "alice@example.com/a", "juliet@elsewhere.example", "chat");
    ASSERT_EQ(alice->received.size(), 1u);
    EXPECT_EQ(error_condition_of(*alice->received[0]), "remote-server-not-found");
}

// RFC 6121 §4.2.2: presence with no 'to' goes to the account's own resources.
TEST_F(router_test, presence_broadcast_reaches_own_resources_not_others) {
    auto a1 = bind("alice@example.com/1");
    auto a2 = bind("alice@example.com/2");
    auto bob = bind("bob@example.com/b");
    send("presence", "alice@example.com/1", "");
    EXPECT_EQ(a1->received.size(), 1u);
    EXPECT_EQ(a2->received.size(), 1u);
    EXPECT_EQ(bob->received.size(), 0u);
}

TEST_F(router_test, presence_to_unknown_resource_is_ignored) {
    auto alice = bind("alice@example.com/a");
    send("presence", "alice@example.com/a", "bob@example.com/none");
    EXPECT_EQ(alice->received.size(), 0u);
}

TEST_F(router_test, stanza_without_to_is_for_the_senders_account) {
    int calls = 0;
    iqs.add(iq_type::get, to_kind::bare, {"urn:test", "query"}, [&](const iq_request& req) {
        ++calls;
        EXPECT_EQ(req.to().str(), "alice@example.com");
        req.reply();
    });
    auto alice = bind("alice@example.com/a");
    send("iq", "alice@example.com/a", "", "get", "q5");
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(alice->received.size(), 1u);
    EXPECT_EQ(alice->received[0]->attr_or("from", ""), "alice@example.com");
}

TEST(sessions_test, rebinding_a_full_jid_replaces_the_old_endpoint) {
    sessions s;
    auto first = std::make_shared<recording_endpoint>();
    auto second = std::make_shared<recording_endpoint>();
    auto j = J("alice@example.com/a");
    EXPECT_EQ(s.bind(j, first, "", 5).outcome, bind_outcome::bound);
    auto r = s.bind(j, second, "", 5);
    EXPECT_EQ(r.outcome, bind_outcome::replaced);
    EXPECT_EQ(r.replaced, first);
    EXPECT_EQ(s.find(j), second);
    // The replaced session's cleanup must not remove its successor.
    EXPECT_FALSE(s.unbind(j, first.get()));
    EXPECT_EQ(s.find(j), second);
    EXPECT_EQ(s.count(), 1u);
}

TEST(sessions_test, resource_limit_is_enforced) {
    sessions s;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(s.bind(J("a@example.com/" + std::to_string(i)),
                         std::make_shared<recording_endpoint>(), "", 3)
                      .outcome,
                  bind_outcome::bound);
    EXPECT_EQ(s.bind(J("a@example.com/x"), std::make_shared<recording_endpoint>(), "", 3).outcome,
              bind_outcome::too_many);
}

}  // namespace
}  // namespace server
