// presence-setup: gives every user a roster of the other members of its group,
// all with subscription 'both', through the protocol itself (RFC 6121 §3), so
// it works the same on every server: each client asks for its roster, sends
// 'subscribe' to every member whose presence it does not receive yet, and
// approves every request from a member. Rounds repeat (bounded) until every
// roster is complete; rosters that are complete already cost nothing, so
// running it again is harmless. Not a measurement.
//
// What a server may answer on the way is handled as a client should: an
// approval or request bounced with a wait-type error (the server could not
// store it) is sent again, and an item that shows 'from' with no request
// pending gets its 'subscribe' at once; each at most a few times per contact.
// A request still pending is sent again every round: the contact's server
// delivers it again (RFC 6121 §3.1.3), which is what heals a pair whose
// approval was lost.
#include "bench/load/contact_groups.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

#include <map>
#include <string>

#include "xml/namespaces.hpp"

namespace bench {
namespace {

constexpr std::string_view roster_ns = "jabber:iq:roster";
// Re-sends at once (after a wait-type error, or for a 'from' item without a
// request), per kind and contact; the rounds do the rest.
constexpr int max_retries = 3;

struct item_state {
    std::string subscription = "none";
    bool ask = false;  // ask='subscribe': our request is pending
    bool receives() const { return subscription == "to" || subscription == "both"; }
};

struct member {
    std::map<std::string, item_state> items;  // by the contact's bare JID
    std::size_t rosters_seen = 0;
    std::map<std::string, int> retries;  // by kind + contact
    bool both(const std::string& jid) const {
        auto it = items.find(jid);
        return it != items.end() && it->second.subscription == "both";
    }
};

std::string bare(std::string_view jid) {
    return std::string(jid.substr(0, jid.find('/')));
}

// The roster items of a result or a push; 'remove' forgets the contact.
void apply_items(const xml::element& query, member& m) {
    for (const auto* item : query.children()) {
        if (item->local_name() != "item") continue;
        auto jid = bare(item->attr_or("jid", ""));
        auto sub = std::string(item->attr_or("subscription", "none"));
        if (sub == "remove") {
            m.items.erase(jid);
            continue;
        }
        m.items[jid] = {sub, item->attr_or("ask", "") == "subscribe"};
    }
}

bool take_retry(member& m, std::string_view kind, const std::string& jid) {
    auto& n = m.retries[std::string(kind) + " " + jid];
    if (n >= max_retries) return false;
    ++n;
    return true;
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
    std::size_t resent = 0;  // approvals and requests sent again at once
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
            k += j != i && members[i].both(jids[j]);
        return k;
    };
    auto links = [&] {
        std::size_t k = 0;
        for (std::size_t i = 0; i < n; ++i) k += complete(i);
        return k;
    };
    // The two stanzas a client sends here; the id tells a bounced one apart.
    auto ask = [&](std::size_t i, const std::string& to) {
        clients[i]->send("<presence to='" + to + "' type='subscribe' id='ask'/>");
    };
    auto approve = [&](std::size_t i, const std::string& to) {
        clients[i]->send("<presence to='" + to + "' type='subscribed' id='approve'/>");
    };
    auto handle = [&](std::size_t i, const xml::element& el) {
        auto& c = *clients[i];
        auto& m = members[i];
        auto type = el.attr_or("type", "");
        ++activity;
        if (el.local_name() == "presence") {
            auto from = bare(el.attr_or("from", ""));
            if (!in_group(i, from)) return;
            if (type == "subscribe") {
                ++approved;
                return approve(i, from);
            }
            // RFC 6120 §8.3.2: 'wait' means the same stanza may succeed later.
            const auto* err = el.child(xml::ns::client, "error");
            if (type != "error" || !err || err->attr_or("type", "") != "wait") return;
            auto id = el.attr_or("id", "");
            if ((id == "approve" || id == "ask") && take_retry(m, id, from)) {
                ++resent;
                id == "approve" ? approve(i, from) : ask(i, from);
            }
            return;
        }
        if (el.local_name() != "iq") return;
        const auto* query = el.child(roster_ns, "query");
        if (type == "set" && query) {  // a push: acknowledged (RFC 6121 §2.1.6)
            apply_items(*query, m);
            c.send("<iq type='result' id='" + std::string(el.attr_or("id", "")) + "'/>");
            // The contact receives our presence but we do not receive theirs,
            // and no request of ours is pending: ask now, not at the next round.
            for (const auto* item : query->children()) {
                auto jid = bare(item->attr_or("jid", ""));
                auto it = m.items.find(jid);
                if (it == m.items.end() || !in_group(i, jid)) continue;
                if (it->second.subscription == "from" && !it->second.ask &&
                    take_retry(m, "from", jid)) {
                    ++resent;
                    ask(i, jid);
                }
            }
        } else if (type == "result" && query) {
            m.items.clear();
            apply_items(*query, m);
            ++m.rosters_seen;
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
                // Whoever does not receive the other's presence asks (again, if
                // its request is pending); a 'to' item waits for the other's ask.
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t j = g.first_of(i); j < g.first_of(i) + g.size; ++j) {
                        if (j == i) continue;
                        auto it = members[i].items.find(jids[j]);
                        if (it != members[i].items.end() && it->second.receives()) continue;
                        ++requests_sent;
                        ask(i, jids[j]);
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
        .add("resent", (long long)resent)
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
