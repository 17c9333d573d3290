// idle: N clients log in fully and stay connected; the server's RSS growth
// divided by N is what one idle session costs it.
#include "bench/load/proc_stats.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

namespace bench {

void run_idle(const run_options& opts) {
    load l(opts);
    const auto n = opts.connections;
    std::uint64_t rss_before = 0, rss_after = 0, self_rss = 0, rss_hold_min = 0, rss_hold_max = 0;
    std::size_t failed = 0, warm_failed = 0;
    double ramp_s = 0;
    cpu_delta ramp_cpu;
    l.run(
        [&]() -> asio::awaitable<void> {
            // Warm up first so one-time costs (caches, pools, TLS context) are not
            // charged to the sessions.
            std::vector<std::shared_ptr<xmpp_client>> warm;
            warm_failed = co_await l.login_all(warm, std::min<std::size_t>(20, n), "w");
            co_await l.close_all(warm);
            warm.clear();
            co_await l.sleep(std::min(opts.settle_s, 2.0));

            rss_before = rss_kib(opts.server_pid);
            auto cpu0 = sample_cpu(opts.server_pid);
            auto t0 = std::chrono::steady_clock::now();
            std::vector<std::shared_ptr<xmpp_client>> clients;
            failed = co_await l.login_all(clients, n, "idle");
            ramp_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            ramp_cpu = sample_cpu(opts.server_pid) - cpu0;
            // Hold the connections for --settle seconds, sampling the RSS every
            // second: a long hold shows whether idle sessions stay flat.
            auto hold_end = std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(opts.settle_s));
            do {
                co_await l.sleep(std::min(1.0, opts.settle_s));
                rss_after = rss_kib(opts.server_pid);
                if (!rss_hold_min || rss_after < rss_hold_min) rss_hold_min = rss_after;
                rss_hold_max = std::max(rss_hold_max, rss_after);
            } while (std::chrono::steady_clock::now() < hold_end);
            self_rss = rss_kib(getpid());
            co_await l.close_all(clients);
        },
        opts.duration_s * 2 + opts.settle_s + 30);

    double per_conn = n ? (double(rss_after) - double(rss_before)) / double(n) : 0;
    report r("idle", opts.label);
    r.add("connections", (long long)n)
        .add("failed", (long long)(failed + warm_failed))
        .add("rss_before_kib", (long long)rss_before)
        .add("rss_after_kib", (long long)rss_after)
        .add("kib_per_conn", per_conn, 2)
        .add("hold_s", opts.settle_s, 1)
        .add("hold_rss_min_kib", (long long)rss_hold_min)
        .add("hold_rss_max_kib", (long long)rss_hold_max)
        .add("ramp_s", ramp_s)
        .add("ramp_logins_per_s", ramp_s > 0 ? double(n - failed) / ramp_s : 0, 1)
        .add("server_cpu_s", ramp_cpu.server_s)
        .add("gen_cpu_s", ramp_cpu.self_s)
        .add("gen_rss_kib", (long long)self_rss)
        .add("machine_busy", ramp_cpu.machine_busy, 2);
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "connections", "failed", "kib_per_conn", "ramp_logins_per_s", "gen_cpu_s",
             "server_cpu_s"});
}

}  // namespace bench
