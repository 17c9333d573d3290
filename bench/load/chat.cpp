// chat: P pairs; in each pair one client sends one-to-one chat messages to the
// other with at most W in flight (or at a fixed total rate). Reports delivered
// messages/s, latency from the timestamp in the body, and server CPU seconds per
// 100,000 messages.
#include "bench/load/scenario.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "bench/load/latency_marker.hpp"
#include "bench/load/proc_stats.hpp"
#include "bench/load/report.hpp"

namespace bench {
namespace {

struct pair_state {
    std::shared_ptr<xmpp_client> sender, receiver;
    marker_scanner rx, bounced;
    std::size_t in_flight = 0, sent = 0, budget = 0;
};

double percentile(std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return 0;
    auto k = std::size_t(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return double(v[k]) / 1e6;  // ms
}

}  // namespace

void run_chat(const run_options& opts) {
    load l(opts);
    const auto p = std::max<std::size_t>(opts.pairs, 1);
    std::vector<pair_state> pairs(p);
    std::vector<std::int64_t> latencies;
    latencies.reserve(opts.messages);
    std::size_t delivered = 0, errors = 0, failed = 0, sent_total = 0;
    std::int64_t t_start = 0, t_last = 0;
    cpu_delta cpu;
    const std::string pad(opts.body_bytes > 24 ? opts.body_bytes - 24 : 0, 'x');
    std::size_t id = 0;

    auto send_one = [&](pair_state& ps) {
        ++ps.in_flight;
        ++ps.sent;
        ++sent_total;
        ps.sender->send("<message to='" + ps.receiver->jid() + "' type='chat' id='m" +
                        std::to_string(++id) + "'><body>" + marker(now_ns()) + pad +
                        "</body></message>");
    };
    auto fill = [&](pair_state& ps) {
        while (ps.in_flight < opts.window && ps.sent < ps.budget) send_one(ps);
    };

    l.run(
        [&]() -> asio::awaitable<void> {
            std::vector<std::shared_ptr<xmpp_client>> clients;
            failed = co_await l.login_all(clients, 2 * p, "chat");
            for (std::size_t k = 0; k < p; ++k) {
                auto& ps = pairs[k];
                ps.sender = clients[2 * k];
                ps.receiver = clients[2 * k + 1];
                ps.budget = opts.messages / p + (k < opts.messages % p ? 1 : 0);
                ps.receiver->on_bytes = [&, k](std::string_view bytes) {
                    auto& me = pairs[k];
                    me.rx.scan(bytes, [&](std::int64_t t) {
                        t_last = now_ns();
                        latencies.push_back(t_last - t);
                        ++delivered;
                        --me.in_flight;
                    });
                    if (opts.rate <= 0) fill(me);
                };
                // Anything of ours that comes back to the sender is a bounce.
                ps.sender->on_bytes = [&, k](std::string_view bytes) {
                    auto& me = pairs[k];
                    me.bounced.scan(bytes, [&](std::int64_t) {
                        ++errors;
                        --me.in_flight;
                    });
                };
            }
            if (failed) {
                co_await l.close_all(clients);
                co_return;
            }
            co_await l.sleep(0.5);
            auto cpu0 = sample_cpu(opts.server_pid);
            t_start = now_ns();
            auto done = [&] { return delivered + errors >= opts.messages; };
            if (opts.rate <= 0) {
                for (auto& ps : pairs) fill(ps);
                co_await l.wait_until(done, opts.duration_s);
            } else {
                // Paced: every tick, send what the rate allows so far, round robin
                // over pairs with room in their window.
                asio::steady_timer tick(l.io());
                std::size_t rr = 0;
                auto end = t_start + std::int64_t(opts.duration_s * 1e9);
                while (!done() && now_ns() < end) {
                    auto due = std::size_t(double(now_ns() - t_start) / 1e9 * opts.rate);
                    for (std::size_t tries = 0;
                         sent_total < std::min(due, opts.messages) && tries < p; ++rr) {
                        auto& ps = pairs[rr % p];
                        if (ps.in_flight < opts.window && ps.sent < ps.budget) {
                            send_one(ps);
                            tries = 0;
                        } else {
                            ++tries;
                        }
                    }
                    tick.expires_after(std::chrono::microseconds(500));
                    co_await tick.async_wait(asio::use_awaitable);
                }
            }
            cpu = sample_cpu(opts.server_pid) - cpu0;
            co_await l.close_all(clients);
        },
        opts.duration_s * 2 + 60);

    double elapsed = t_last > t_start ? double(t_last - t_start) / 1e9 : 0;
    report r("chat", opts.label);
    r.add("pairs", (long long)p)
        .add("window", (long long)opts.window)
        .add("rate_target", opts.rate, 0)
        .add("sent", (long long)sent_total)
        .add("delivered", (long long)delivered)
        .add("errors", (long long)errors)
        .add("failed_logins", (long long)failed)
        .add("elapsed_s", elapsed)
        .add("msgs_per_s", elapsed > 0 ? double(delivered) / elapsed : 0, 0)
        .add("lat_p50_ms", percentile(latencies, 0.50))
        .add("lat_p99_ms", percentile(latencies, 0.99))
        .add("lat_max_ms", percentile(latencies, 1.0))
        .add("server_cpu_s", cpu.server_s)
        .add("server_cpu_s_per_100k", delivered ? cpu.server_s * 1e5 / double(delivered) : 0)
        .add("gen_cpu_s_per_100k", delivered ? cpu.self_s * 1e5 / double(delivered) : 0)
        .add("machine_busy", cpu.machine_busy, 2);
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "pairs", "delivered", "errors", "msgs_per_s", "lat_p50_ms", "lat_p99_ms",
             "lat_max_ms", "server_cpu_s_per_100k", "gen_cpu_s_per_100k", "machine_busy"});
}

}  // namespace bench
