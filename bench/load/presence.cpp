// presence: users whose rosters hold the 20 other members of their group (all
// 'both', see presence-setup) log in and change presence; every change fans out
// to the contacts. Two phases, each bounded in count and time:
//   initial  every user sends initial presence: the server broadcasts it and
//            probes the contacts (RFC 6121 §4.2); done when every user has seen
//            every contact available (which also checks the rosters).
//   changes  every user changes presence K times, the next change once the last
//            one reached all of its contacts; delivered presences/s, latency
//            from the send time in <status/>, server CPU per 100,000 delivered.
// Receivers scan raw bytes for the time stamp; a stamp names its sender, since
// no two sends share one.
#include "bench/load/contact_groups.hpp"
#include "bench/load/latency_marker.hpp"
#include "bench/load/proc_stats.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

#include <algorithm>
#include <unordered_map>

namespace bench {
namespace {

struct sent_presence {
    std::size_t sender;
    std::size_t remaining;  // contacts that have not received it yet
    bool initial;
};

struct user_state {
    std::shared_ptr<xmpp_client> client;
    marker_scanner rx;
    std::size_t changes_sent = 0;
    bool waiting = false;    // a change is on its way to the contacts
    std::vector<bool> seen;  // initial phase: group positions seen available
    std::size_t seen_count = 0;
};

}  // namespace

void run_presence(const run_options& opts) {
    run_options o = opts;
    o.client.initial_presence = false;  // sent stamped, once every client is online
    load l(o);
    const contact_groups g(o);
    const auto n = g.users, contacts = g.contacts(), k = o.changes;
    std::vector<user_state> users(n);
    std::unordered_map<std::int64_t, sent_presence> sent;
    sent.reserve(n * (k + 1));
    std::vector<std::int64_t> latencies;
    latencies.reserve(n * k * contacts);
    std::size_t failed = 0, users_complete = 0, initial_delivered = 0, delivered = 0,
                changes_done = 0, duplicates = 0, echoes = 0, stray = 0;
    std::int64_t last_stamp = 0, t_start = 0, t_last = 0;
    double initial_s = 0;
    cpu_delta initial_cpu, cpu;
    bool changing = false;

    auto stamp = [&] { return last_stamp = std::max(now_ns(), last_stamp + 1); };
    auto send_change = [&](std::size_t s) {
        auto& u = users[s];
        if (!changing || u.waiting || u.changes_sent >= k) return;
        u.waiting = true;
        auto ts = stamp();
        sent.emplace(ts, sent_presence{s, contacts, false});
        // Alternating <show/>, so each one is a real change of state.
        u.client->send(std::string("<presence>") +
                       (u.changes_sent++ % 2 ? "" : "<show>away</show>") + "<status>" + marker(ts) +
                       "</status></presence>");
    };
    auto received = [&](std::size_t r, std::int64_t ts, std::int64_t now) {
        auto it = sent.find(ts);
        if (it == sent.end()) return void(++stray);
        auto& p = it->second;
        if (p.sender == r) return void(++echoes);  // RFC 6121 §4.2.2: to the user too
        if (p.initial) {
            ++initial_delivered;
            auto& u = users[r];
            auto pos = g.position(p.sender);
            if (u.seen[pos]) return;
            u.seen[pos] = true;
            if (++u.seen_count == contacts) ++users_complete;
            return;
        }
        ++delivered;
        latencies.push_back(now - ts);
        t_last = now;
        if (p.remaining == 0) return void(++duplicates);
        if (--p.remaining > 0) return;
        ++changes_done;
        auto s = p.sender;
        users[s].waiting = false;
        send_change(s);
    };

    l.run(
        [&]() -> asio::awaitable<void> {
            std::vector<std::shared_ptr<xmpp_client>> clients;
            failed = co_await l.login_all(clients, n, "pres", [&](std::size_t i, xmpp_client& c) {
                users[i].seen.assign(g.size, false);
                c.on_bytes = [&, i](std::string_view bytes) {
                    auto now = now_ns();
                    users[i].rx.scan(bytes, [&](std::int64_t ts) { received(i, ts, now); });
                };
            });
            for (std::size_t i = 0; i < n; ++i) users[i].client = clients[i];
            if (failed) {
                co_await l.close_all(clients);
                co_return;
            }
            co_await l.sleep(0.5);

            auto cpu0 = sample_cpu(o.server_pid);
            auto t0 = now_ns();
            for (std::size_t i = 0; i < n; ++i) {
                auto ts = stamp();
                sent.emplace(ts, sent_presence{i, contacts, true});
                users[i].client->send("<presence><status>" + marker(ts) + "</status></presence>");
            }
            if (!co_await l.wait_until([&] { return users_complete == n; }, o.duration_s))
                l.first_error = "initial presence: not every contact seen available";
            initial_s = double(now_ns() - t0) / 1e9;
            initial_cpu = sample_cpu(o.server_pid) - cpu0;
            co_await l.sleep(1);  // stragglers (a probe answer after a broadcast)

            cpu0 = sample_cpu(o.server_pid);
            t_start = now_ns();
            changing = true;
            for (std::size_t i = 0; i < n; ++i) send_change(i);
            if (!co_await l.wait_until([&] { return changes_done == n * k; }, o.duration_s) &&
                l.first_error.empty())
                l.first_error = "changes: not every change reached every contact";
            cpu = sample_cpu(o.server_pid) - cpu0;
            changing = false;
            co_await l.close_all(clients);
        },
        o.duration_s * 2 + 60);

    std::size_t missing = 0;
    for (const auto& u : users) missing += contacts - std::min(contacts, u.seen_count);
    const auto expected = n * k * contacts;
    double elapsed = t_last > t_start ? double(t_last - t_start) / 1e9 : 0;
    report r("presence", o.label);
    r.add("users", (long long)n)
        .add("contacts", (long long)contacts)
        .add("changes", (long long)k)
        .add("failed_logins", (long long)failed)
        .add("initial_s", initial_s)
        .add("initial_delivered", (long long)initial_delivered)
        .add("initial_missing", (long long)missing)
        .add("initial_server_cpu_ms_per_user", n ? initial_cpu.server_s * 1e3 / double(n) : 0)
        .add("initial_gen_cpu_ms_per_user", n ? initial_cpu.self_s * 1e3 / double(n) : 0)
        .add("expected", (long long)expected)
        .add("delivered", (long long)delivered)
        .add("lost", (long long)(expected - std::min(expected, delivered - duplicates)))
        .add("duplicates", (long long)duplicates)
        .add("echoes", (long long)echoes)
        .add("stray", (long long)stray)
        .add("elapsed_s", elapsed)
        .add("presences_per_s", elapsed > 0 ? double(delivered) / elapsed : 0, 0)
        .add("lat_p50_ms", percentile_ms(latencies, 0.50))
        .add("lat_p99_ms", percentile_ms(latencies, 0.99))
        .add("lat_max_ms", percentile_ms(latencies, 1.0))
        .add("server_cpu_s", cpu.server_s)
        .add("server_cpu_s_per_100k", delivered ? cpu.server_s * 1e5 / double(delivered) : 0)
        .add("gen_cpu_s_per_100k", delivered ? cpu.self_s * 1e5 / double(delivered) : 0)
        .add("machine_busy", cpu.machine_busy, 2);
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "users", "contacts", "initial_s", "initial_missing",
             "initial_server_cpu_ms_per_user", "delivered", "lost", "presences_per_s", "lat_p50_ms",
             "lat_p99_ms", "server_cpu_s_per_100k", "gen_cpu_s_per_100k", "machine_busy"});
}

}  // namespace bench
