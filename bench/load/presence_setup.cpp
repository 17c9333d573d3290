// presence-setup: gives every user a roster of the other members of its group,
// all with subscription 'both', through the protocol itself (RFC 6121 §3), so
// it works the same on every server: each client asks for its roster, sends
// 'subscribe' to every member that is not 'both' yet, and approves every request
// from a member. Rounds repeat (bounded) until every roster is complete; rosters
// that are complete already cost nothing, so running it again is harmless. Not
// a measurement.
#include "bench/load/contact_groups.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

#include <set>

#include "xml/namespaces.hpp"

namespace bench {
namespace {

constexpr std::string_view roster_ns = "jabber:iq:roster";

struct member {
    std::set<std::string> both;  // contacts (bare JIDs) with subscription 'both'
    std::size_t rosters_seen = 0;
};

std::string bare(std::string_view jid) {
    return std::string(jid.substr(0, jid.find('/')));
}

// The roster items of a result or a push: 'both' joins the set, anything else
// (including 'remove') leaves it.
void apply_items(const xml::element& query, member& m) {
    for (const auto* item : query.children()) {
        if (item->local_name() != "item") continue;
        auto jid = bare(item->attr_or("jid", ""));
        if (item->attr_or("subscription", "") == "both")
            m.both.insert(jid);
        else
            m.both.erase(jid);
    }
}

}  // namespace

void run_presence_setup(const run_options& opts) {
    run_options o = opts;
    o.client.initial_presence = false;  // sent below, after the handlers are in place
    load l(o);
    const contact_groups g(o);
    const auto n = g.users;
    std::vector<member> members(n);
    std::vector<std::string> jids(n);
    for (std::size_t i = 0; i < n; ++i) jids[i] = l.user(i) + "@" + o.client.domain;
    std::size_t failed = 0, requests_sent = 0, approved = 0, rounds = 0, activity = 0;
    // Links still not 'both' once the first round went quiet: handshakes the
    // server lost, or a server that was quiet for 3 s while still storing.
    std::size_t first_round_missing = 0;
    std::vector<std::shared_ptr<xmpp_client>> clients;

    auto in_group = [&](std::size_t i, const std::string& jid) {
        for (std::size_t j = g.first_of(i); j < g.first_of(i) + g.size; ++j)
            if (j != i && jids[j] == jid) return true;
        return false;
    };
    auto complete = [&](std::size_t i) {
        std::size_t k = 0;
        for (std::size_t j = g.first_of(i); j < g.first_of(i) + g.size; ++j)
            k += j != i && members[i].both.count(jids[j]);
        return k;
    };
    auto links = [&] {
        std::size_t k = 0;
        for (std::size_t i = 0; i < n; ++i) k += complete(i);
        return k;
    };
    auto handle = [&](std::size_t i, const xml::element& el) {
        auto& c = *clients[i];
        auto type = el.attr_or("type", "");
        ++activity;
        if (el.local_name() == "presence" && type == "subscribe") {
            auto from = bare(el.attr_or("from", ""));
            if (!in_group(i, from)) return;
            ++approved;
            c.send("<presence to='" + from + "' type='subscribed'/>");
            return;
        }
        if (el.local_name() != "iq") return;
        const auto* query = el.child(roster_ns, "query");
        if (type == "set" && query) {  // a push: acknowledged (RFC 6121 §2.1.6)
            apply_items(*query, members[i]);
            c.send("<iq type='result' id='" + std::string(el.attr_or("id", "")) + "'/>");
        } else if (type == "result" && query) {
            members[i].both.clear();
            apply_items(*query, members[i]);
            ++members[i].rosters_seen;
        }
    };
    auto fetch_rosters = [&]() -> asio::awaitable<bool> {
        std::vector<std::size_t> before(n);
        for (std::size_t i = 0; i < n; ++i) {
            before[i] = members[i].rosters_seen;
            clients[i]->send("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
        }
        co_return co_await l.wait_until(
            [&] {
                for (std::size_t i = 0; i < n; ++i)
                    if (members[i].rosters_seen == before[i]) return false;
                return true;
            },
            30);
    };

    auto t0 = std::chrono::steady_clock::now();
    l.run(
        [&]() -> asio::awaitable<void> {
            failed = co_await l.login_all(clients, n, "setup", [&](std::size_t i, xmpp_client& c) {
                c.on_element = [&handle, i](const xml::element& el) { handle(i, el); };
            });
            if (failed) {
                co_await l.close_all(clients);
                co_return;
            }
            // The roster first (it makes the resource 'interested' in pushes),
            // then available presence, so requests reach the client at once.
            if (!co_await fetch_rosters()) l.first_error = "no roster result";
            for (auto& c : clients) c->send("<presence/>");
            auto end = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(o.duration_s));
            while (links() < n * g.contacts() && std::chrono::steady_clock::now() < end) {
                ++rounds;
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t j = g.first_of(i); j < g.first_of(i) + g.size; ++j) {
                        if (j == i || members[i].both.count(jids[j])) continue;
                        ++requests_sent;
                        clients[i]->send("<presence to='" + jids[j] + "' type='subscribe'/>");
                    }
                // Until complete, or until nothing has arrived for 3 s (some
                // servers take seconds to store a burst of roster changes).
                for (std::size_t seen = activity - 1; seen != activity;) {
                    seen = activity;
                    if (co_await l.wait_until([&] { return links() == n * g.contacts(); }, 3))
                        break;
                }
                // Pushes keep the sets current; a fresh roster confirms them.
                co_await fetch_rosters();
                if (rounds == 1) first_round_missing = n * g.contacts() - links();
            }
            co_await l.close_all(clients);
        },
        o.duration_s + 60);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    auto done = links();
    report r("presence-setup", o.label);
    r.add("users", (long long)n)
        .add("groups", (long long)g.groups())
        .add("contacts", (long long)g.contacts())
        .add("links", (long long)done)
        .add("missing", (long long)(n * g.contacts() - done))
        .add("requests_sent", (long long)requests_sent)
        .add("approved", (long long)approved)
        .add("rounds", (long long)rounds)
        .add("first_round_missing", (long long)first_round_missing)
        .add("failed", (long long)failed)
        .add("elapsed_s", elapsed);
    if (l.first_error.empty() && done != n * g.contacts())
        l.first_error = "rosters incomplete after " + std::to_string(rounds) + " rounds";
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "users", "contacts", "links", "missing", "requests_sent", "rounds",
             "first_round_missing", "elapsed_s"});
}

}  // namespace bench
