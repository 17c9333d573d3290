// The roster and presence modules in-process with the real router, module host
// and storage threads on a SQLite file: the RFC 6121 §3-4 paths the wire tests
// cannot reach or cannot order (a roster write that fails, a database that
// cannot tell whether an account exists, the order stanzas enter routing).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "modules/presence/presence.hpp"
#include "modules/roster/roster.hpp"
#include "modules/roster/roster_book.hpp"
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

constexpr const char* host = "example.com";
// The roster module's map_store name (roster_book.cpp).
constexpr const char* roster_store = "roster";

struct seen {
    std::string type;  // "" for available
    std::string from;
    bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
    return os << "(" << (s.type.empty() ? "available" : s.type) << " from " << s.from << ")";
}

class presence_flow : public ::testing::Test {
  protected:
    void SetUp() override { h_.open("presence", host, {"alice", "bob", "carol", "dave"}); }

    // Starts the modules; `max_items` is the roster module's option.
    void start(std::optional<int> max_items = std::nullopt) {
        if (max_items) h_.cfg.modules["roster"].options["max_items"] = std::to_string(*max_items);
        // Before the modules' handlers: what enters inbound routing, in order.
        h_.events.on<server::account_stanza>(
            [this](server::account_stanza& ev) {
                if (ev.kind == xml::stanza_kind::presence) {
                    std::lock_guard lock(mu_);
                    routed_[ev.s.to.bare_str()].push_back(
                        {std::string(ev.s.el->attr_or("type", "")), ev.s.from.str()});
                }
                return server::handled::no;
            },
            1000);
        ASSERT_FALSE(h_.start({roster_module_info(), presence_module_info()}));
    }

    void TearDown() override { h_.close(); }

    // A bound resource that asked for its roster (so it gets pushes).
    std::shared_ptr<recording_endpoint> bind(std::string_view full) {
        auto ep = std::make_shared<recording_endpoint>();
        h_.router->sessions().bind(J(full), ep, "127.0.0.1", 10);
        route_iq(full, "<query xmlns='jabber:iq:roster'/>", "get");
        settle();
        std::lock_guard lock(ep->mu);
        ep->received.clear();  // the roster result
        return ep;
    }

    // alice/a and bob/b bound, then both send initial presence, in that order.
    std::pair<std::shared_ptr<recording_endpoint>, std::shared_ptr<recording_endpoint>>
    alice_and_bob_online() {
        auto alice = bind("alice@example.com/a");
        auto bob = bind("bob@example.com/b");
        client_sends("alice@example.com/a", "", "");
        client_sends("bob@example.com/b", "", "");
        return {alice, bob};
    }

    static xml::element_ptr presence(std::string_view from, std::string_view to,
                                     std::string_view type, std::string_view status = {}) {
        xml::builder b(ns::client, "presence");
        b.attr("from", from);
        if (!to.empty()) b.attr("to", to);
        if (!type.empty()) b.attr("type", type);
        if (!status.empty()) b.text_child(ns::client, "status", status);
        return b.done();
    }

    // What a client sends, as its c2s session hands it to the router.
    void client_sends(std::string_view from, std::string_view to, std::string_view type,
                      std::string_view status = {}) {
        auto el = presence(from, to, type, status);
        if (to.empty() && (type.empty() || type == "unavailable"))
            h_.router->sessions().set_presence(J(from), type.empty(), 0,
                                               type.empty() ? el : nullptr);
        h_.router->route(server::routed_stanza{el, J(from), to.empty() ? xml::jid{} : J(to),
                                               server::origin::client});
    }

    void route_iq(std::string_view from, std::string_view payload, std::string_view type) {
        auto text = "<iq xmlns='jabber:client' type='" + std::string(type) + "' id='q' from='" +
                    std::string(from) + "'>" + std::string(payload) + "</iq>";
        xml::element_ptr el;
        xml::stream_parser p({.on_open = [](const xml::element&) {},
                              .on_element = [&](xml::element_ptr e) { el = std::move(e); },
                              .on_close = [] {},
                              .on_error = [](xml::parse_error, std::string d) { FAIL() << d; }});
        p.feed(
            "<stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams'>");
        p.feed(text);
        ASSERT_TRUE(el);
        h_.router->route(
            server::routed_stanza{el, J(from), J(from).bare(), server::origin::client});
    }

    // Waits until the jobs queued for the accounts ran, and those they queued
    // for each other in turn (a handshake hops between two strands a few times).
    void settle() {
        // Each round waits for every account's strand in turn, "ghost" (an
        // account that does not exist) included: a job posted from one strand to
        // another is drained by the next round at the latest.
        for (int round = 0; round < 6; ++round)
            for (auto user : {"alice", "bob", "carol", "dave", "ghost"}) {
                std::promise<void> done;
                h_.storage->post_ordered(std::string(user) + "@" + host,
                                         [&done](storage::database&) { done.set_value(); });
                ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)),
                          std::future_status::ready);
            }
    }

    // The presence stanzas an endpoint received (of one type: "" = available).
    static std::vector<xml::element_ptr> presences(recording_endpoint& ep,
                                                   std::optional<std::string> type = {}) {
        std::lock_guard lock(ep.mu);
        std::vector<xml::element_ptr> out;
        for (const auto& el : ep.received)
            if (el->local_name() == "presence" && (!type || el->attr_or("type", "") == *type))
                out.push_back(el);
        return out;
    }

    std::vector<seen> routed_to(std::string_view bare) {
        std::lock_guard lock(mu_);
        return routed_[std::string(bare)];
    }

    void forget_routed() {
        std::lock_guard lock(mu_);
        routed_.clear();
    }

    std::optional<roster_item> item(std::string_view owner, std::string_view contact) {
        auto r = read_roster(*h_.db, J(owner));
        if (!r) return std::nullopt;
        auto it = r->items.find(std::string(contact));
        if (it == r->items.end()) return std::nullopt;
        return it->second;
    }

    long long version(std::string_view owner) {
        auto r = read_roster(*h_.db, J(owner));
        return r ? r->version : -1;
    }

    // A roster item written straight to the database (before the server reads it).
    void put(std::string_view owner, std::string_view contact, sub_state state,
             bool approved = false, bool in_roster = true) {
        roster_item it;
        it.jid = J(contact);
        it.state = state;
        it.approved = approved;
        it.in_roster = in_roster;
        auto o = J(owner);
        ASSERT_TRUE(storage::map_store(*h_.db, roster_store)
                        .set({o.local(), o.domain()}, it.jid.bare_str(), it.serialize()));
    }

    static const xml::element* error_of(const xml::element_ptr& el) {
        return el->child(ns::client, "error");
    }

    test_support::module_harness h_;
    std::mutex mu_;
    std::map<std::string, std::vector<seen>> routed_;  // by receiver's bare JID
};

const sub_state none{};
const sub_state to{subscription::to, false, false};
const sub_state from{subscription::from, false, false};
const sub_state both{subscription::both, false, false};
const sub_state from_pending_out{subscription::from, true, false};
const sub_state to_pending_in{subscription::to, false, true};
const sub_state none_pending_in{subscription::none, false, true};
const sub_state none_pending_out{subscription::none, true, false};

TEST_F(presence_flow, a_repeated_request_is_delivered_again_and_stored_once) {
    start();
    auto [alice, bob] = alice_and_bob_online();
    client_sends("alice@example.com/a", "bob@example.com", "subscribe", "first");
    settle();
    ASSERT_EQ(presences(*bob, "subscribe").size(), 1u);
    auto stored = item("bob@example.com", "alice@example.com");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->state, none_pending_in);
    auto ver = version("bob@example.com");

    // RFC 6121 §3.1.3: the request is still pending, and bob's clients get it again.
    client_sends("alice@example.com/a", "bob@example.com", "subscribe", "second");
    settle();
    auto requests = presences(*bob, "subscribe");
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1]->attr_or("from", ""), "alice@example.com");
    EXPECT_EQ(requests[1]->attr_or("to", ""), "bob@example.com");
    // One record, as it was: no second request is stored and nothing is pushed.
    auto again = item("bob@example.com", "alice@example.com");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->serialize(), stored->serialize());
    EXPECT_EQ(version("bob@example.com"), ver);
}

TEST_F(presence_flow, a_failed_approval_heals_when_the_request_is_sent_again) {
    start();
    auto [alice, bob] = alice_and_bob_online();
    // bob subscribes to alice; then alice asks back.
    client_sends("bob@example.com/b", "alice@example.com", "subscribe");
    settle();
    client_sends("alice@example.com/a", "bob@example.com", "subscribed");
    settle();
    client_sends("alice@example.com/a", "bob@example.com", "subscribe");
    settle();
    ASSERT_EQ(item("alice@example.com", "bob@example.com")->state, from_pending_out);
    ASSERT_EQ(item("bob@example.com", "alice@example.com")->state, to_pending_in);
    ASSERT_EQ(presences(*bob, "subscribe").size(), 1u);

    // bob's approval cannot be stored (the next roster write of bob fails once).
    ASSERT_TRUE(
        h_.db->exec("CREATE TRIGGER fail_once BEFORE INSERT ON map WHEN NEW.username = 'bob' "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
    auto alice_before = presences(*alice).size();
    client_sends("bob@example.com/b", "alice@example.com", "subscribed");
    settle();
    ASSERT_TRUE(h_.db->exec("DROP TRIGGER fail_once"));
    auto errors = presences(*bob, "error");
    ASSERT_EQ(errors.size(), 1u);
    ASSERT_TRUE(error_of(errors[0]));
    EXPECT_EQ(error_of(errors[0])->attr_or("type", ""), "wait");
    // Nothing reached alice, and neither roster changed.
    EXPECT_EQ(presences(*alice).size(), alice_before);
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, from_pending_out);
    EXPECT_EQ(item("bob@example.com", "alice@example.com")->state, to_pending_in);

    // alice's client sends its request again: bob's client sees it again and
    // approves, and the pair converges.
    client_sends("alice@example.com/a", "bob@example.com", "subscribe");
    settle();
    ASSERT_EQ(presences(*bob, "subscribe").size(), 2u);
    client_sends("bob@example.com/b", "alice@example.com", "subscribed");
    settle();
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, both);
    EXPECT_EQ(item("bob@example.com", "alice@example.com")->state, both);
    auto granted = presences(*alice, "subscribed");
    ASSERT_EQ(granted.size(), 1u);
    EXPECT_EQ(granted[0]->attr_or("from", ""), "bob@example.com");
}

TEST_F(presence_flow, revoking_routes_unavailable_before_unsubscribed) {
    start();
    auto [alice, bob] = alice_and_bob_online();
    client_sends("bob@example.com/b", "alice@example.com", "subscribe");
    settle();
    client_sends("alice@example.com/a", "bob@example.com", "subscribed");
    settle();
    forget_routed();
    // RFC 6121 §3.2.2: while bob is still subscribed, he learns alice is gone.
    client_sends("alice@example.com/a", "bob@example.com", "unsubscribed");
    settle();
    EXPECT_EQ(routed_to("bob@example.com"),
              (std::vector<seen>{{"unavailable", "alice@example.com/a"},
                                 {"unsubscribed", "alice@example.com"}}));
    EXPECT_EQ(item("bob@example.com", "alice@example.com")->state, none);
}

TEST_F(presence_flow, removing_a_contact_routes_unavailable_first) {
    start();
    put("alice@example.com", "bob@example.com", both);
    put("bob@example.com", "alice@example.com", both);
    auto [alice, bob] = alice_and_bob_online();
    settle();
    forget_routed();
    // RFC 6121 §2.5.2 with §3.2.2: the unavailable presence goes while bob is
    // still subscribed, then alice's subscription ends, then his.
    route_iq("alice@example.com/a",
             "<query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
             "subscription='remove'/></query>",
             "set");
    settle();
    EXPECT_EQ(routed_to("bob@example.com"),
              (std::vector<seen>{{"unavailable", "alice@example.com/a"},
                                 {"unsubscribe", "alice@example.com"},
                                 {"unsubscribed", "alice@example.com"}}));
    EXPECT_EQ(item("bob@example.com", "alice@example.com")->state, none);
    EXPECT_FALSE(item("alice@example.com", "bob@example.com"));
}

TEST_F(presence_flow, a_database_error_is_not_a_missing_account) {
    start();
    auto alice = bind("alice@example.com/a");
    client_sends("alice@example.com/a", "", "");
    settle();
    // bob is offline, so whether he exists is a database question, and the
    // database cannot answer it for now.
    ASSERT_TRUE(h_.db->exec("ALTER TABLE accounts RENAME TO accounts_away"));
    client_sends("alice@example.com/a", "bob@example.com", "subscribe");
    client_sends("alice@example.com/a", "bob@example.com", "probe");
    settle();
    ASSERT_TRUE(h_.db->exec("ALTER TABLE accounts_away RENAME TO accounts"));
    EXPECT_TRUE(presences(*alice, "unsubscribed").empty());
    auto errors = presences(*alice, "error");
    ASSERT_EQ(errors.size(), 1u);  // the request; the probe goes unanswered
    EXPECT_EQ(errors[0]->attr_or("from", ""), "bob@example.com");
    ASSERT_TRUE(error_of(errors[0]));
    EXPECT_EQ(error_of(errors[0])->attr_or("type", ""), "wait");
    // alice's request still waits, and nothing was stored for bob.
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, none_pending_out);
    EXPECT_FALSE(item("bob@example.com", "alice@example.com"));
    // Sent again once the database answers, it is stored.
    client_sends("alice@example.com/a", "bob@example.com", "subscribe");
    settle();
    ASSERT_TRUE(item("bob@example.com", "alice@example.com"));
    EXPECT_EQ(item("bob@example.com", "alice@example.com")->state, none_pending_in);
}

TEST_F(presence_flow, a_missing_account_is_still_answered_unsubscribed) {
    start();
    auto alice = bind("alice@example.com/a");
    client_sends("alice@example.com/a", "", "");
    client_sends("alice@example.com/a", "ghost@example.com", "subscribe");
    settle();
    auto answers = presences(*alice, "unsubscribed");
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0]->attr_or("from", ""), "ghost@example.com");
    EXPECT_EQ(item("alice@example.com", "ghost@example.com")->state, none);
}

TEST_F(presence_flow, a_probe_from_a_non_subscriber_is_answered_unsubscribed) {
    // alice believes she receives bob's presence; bob's roster says otherwise,
    // though bob pre-approved her.
    put("alice@example.com", "bob@example.com", to);
    put("bob@example.com", "alice@example.com", none, true);
    start();
    auto bob = bind("bob@example.com/b");
    client_sends("bob@example.com/b", "", "");
    auto alice = bind("alice@example.com/a");
    // Initial presence probes bob (RFC 6121 §4.2.2); bob's server answers
    // 'unsubscribed' (§4.3.2) and alice's roster is corrected (§3.2.3).
    client_sends("alice@example.com/a", "", "");
    settle();
    auto answers = presences(*alice, "unsubscribed");
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0]->attr_or("from", ""), "bob@example.com");
    EXPECT_TRUE(presences(*alice, "").size() == 1u);  // her own presence only
    EXPECT_EQ(presences(*alice, "")[0]->attr_or("from", ""), "alice@example.com/a");
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, none);
    // The answer is not bob's own 'unsubscribed': his pre-approval stays.
    auto kept = item("bob@example.com", "alice@example.com");
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->approved);
}

TEST_F(presence_flow, a_probe_of_an_unavailable_account_gets_its_last_unavailable_presence) {
    put("alice@example.com", "bob@example.com", both);
    put("bob@example.com", "alice@example.com", both);
    put("alice@example.com", "carol@example.com", to);
    put("carol@example.com", "alice@example.com", from);
    start();
    // bob was online and left with a status; carol has not been online at all.
    auto bob = bind("bob@example.com/b");
    client_sends("bob@example.com/b", "", "");
    client_sends("bob@example.com/b", "", "unavailable", "gone fishing");
    settle();
    h_.router->sessions().unbind(J("bob@example.com/b"), bob.get());

    auto alice = bind("alice@example.com/a");
    client_sends("alice@example.com/a", "", "");
    settle();
    std::vector<seen> got;
    std::string bob_status;
    for (const auto& p : presences(*alice, "unavailable")) {
        got.push_back({"unavailable", std::string(p->attr_or("from", ""))});
        if (got.back().from == "bob@example.com/b")
            if (const auto* st = p->child(ns::client, "status")) bob_status = st->text();
    }
    std::sort(got.begin(), got.end(), [](const seen& a, const seen& b) { return a.from < b.from; });
    EXPECT_EQ(got, (std::vector<seen>{{"unavailable", "bob@example.com/b"},
                                      {"unavailable", "carol@example.com"}}));
    EXPECT_EQ(bob_status, "gone fishing");
    // Nobody's subscription changed over it.
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, both);
    EXPECT_EQ(item("alice@example.com", "carol@example.com")->state, to);
}

TEST_F(presence_flow, approvals_respect_the_roster_limit) {
    put("alice@example.com", "carol@example.com", none);
    start(1);
    auto [alice, bob] = alice_and_bob_online();
    client_sends("bob@example.com/b", "alice@example.com", "subscribe");
    settle();
    ASSERT_EQ(presences(*alice, "subscribe").size(), 1u);
    auto before = version("alice@example.com");

    // Approving would add bob to a roster already at max_items.
    client_sends("alice@example.com/a", "bob@example.com", "subscribed");
    // So would pre-approving dave (RFC 6121 §3.4).
    client_sends("alice@example.com/a", "dave@example.com", "subscribed");
    settle();
    auto errors = presences(*alice, "error");
    ASSERT_EQ(errors.size(), 2u);
    for (const auto& e : errors) {
        ASSERT_TRUE(error_of(e));
        EXPECT_TRUE(error_of(e)->child(ns::stanzas, "not-allowed")) << e->attr_or("from", "");
    }
    EXPECT_EQ(errors[0]->attr_or("from", ""), "bob@example.com");
    EXPECT_EQ(errors[1]->attr_or("from", ""), "dave@example.com");
    EXPECT_TRUE(presences(*bob, "subscribed").empty());
    auto pending = item("alice@example.com", "bob@example.com");
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->state, none_pending_in);
    EXPECT_FALSE(pending->in_roster);
    EXPECT_FALSE(item("alice@example.com", "dave@example.com"));
    EXPECT_EQ(version("alice@example.com"), before);

    // With room again, the same approval goes through.
    route_iq("alice@example.com/a",
             "<query xmlns='jabber:iq:roster'><item jid='carol@example.com' "
             "subscription='remove'/></query>",
             "set");
    settle();
    client_sends("alice@example.com/a", "bob@example.com", "subscribed");
    settle();
    EXPECT_EQ(item("alice@example.com", "bob@example.com")->state, from);
    EXPECT_EQ(presences(*bob, "subscribed").size(), 1u);
}

TEST_F(presence_flow, ending_local_subscriptions_of_an_account_on_the_database) {
    // What parleyctl does with the server down before removing bob.
    put("bob@example.com", "alice@example.com", both);
    put("alice@example.com", "bob@example.com", both);
    put("bob@example.com", "carol@example.com", none_pending_out);
    put("carol@example.com", "bob@example.com", none_pending_in, false, false);
    put("bob@example.com", "dave@example.com", none);
    put("dave@example.com", "bob@example.com", none);
    put("bob@example.com", "remote@elsewhere.org", both);
    auto alice_ver = version("alice@example.com");
    auto dave_ver = version("dave@example.com");
    ASSERT_TRUE(end_local_subscriptions(*h_.db, J("bob@example.com"), {host}));
    auto a = item("alice@example.com", "bob@example.com");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->state, none);
    EXPECT_TRUE(a->in_roster);
    EXPECT_EQ(version("alice@example.com"), alice_ver + 1);
    // carol only held bob's request: forgotten.
    EXPECT_FALSE(item("carol@example.com", "bob@example.com"));
    // Nothing to change for dave: his roster version stays.
    EXPECT_EQ(version("dave@example.com"), dave_ver);
    ASSERT_TRUE(item("dave@example.com", "bob@example.com"));
}

}  // namespace
}  // namespace modules
