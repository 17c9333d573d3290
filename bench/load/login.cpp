// login: C connectors each log in fully (TLS, SASL, bind, presence, ping
// answered), close the stream and start again, until L logins are done.
#include "bench/load/proc_stats.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace bench {

void run_login(const run_options& opts) {
    load l(opts);
    const auto total = opts.logins;
    std::size_t next = 0, ok = 0, failed = 0, finished = 0;
    cpu_delta cpu;
    double elapsed = 0;
    l.run(
        [&]() -> asio::awaitable<void> {
            auto connector = [&]() -> asio::awaitable<void> {
                while (next < total) {
                    auto i = next++;
                    auto c = l.make_client();
                    auto err = co_await c->login(l.user(i), "login" + std::to_string(i), i);
                    if (err.empty()) {
                        ++ok;
                        c->close(std::chrono::milliseconds(2000));
                        co_await c->read_loop();
                    } else {
                        ++failed;
                        if (l.first_error.empty()) l.first_error = l.user(i) + ": " + err;
                    }
                    ++finished;
                }
            };
            auto cpu0 = sample_cpu(opts.server_pid);
            auto t0 = std::chrono::steady_clock::now();
            for (std::size_t w = 0; w < std::min(opts.concurrency, total); ++w)
                asio::co_spawn(l.io(), connector, asio::detached);
            co_await l.wait_until([&] { return finished == total; }, opts.duration_s);
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            cpu = sample_cpu(opts.server_pid) - cpu0;
        },
        opts.duration_s + 30);

    report r("login", opts.label);
    r.add("concurrency", (long long)opts.concurrency)
        .add("logins", (long long)ok)
        .add("failed", (long long)(failed + (total - finished)))
        .add("elapsed_s", elapsed)
        .add("logins_per_s", elapsed > 0 ? double(ok) / elapsed : 0, 1)
        .add("server_cpu_s", cpu.server_s)
        .add("server_cpu_ms_per_login", ok ? cpu.server_s * 1000 / double(ok) : 0)
        .add("gen_cpu_ms_per_login", ok ? cpu.self_s * 1000 / double(ok) : 0)
        .add("machine_busy", cpu.machine_busy, 2)
        .add("mechanism", opts.client.plain ? "PLAIN" : "SCRAM-SHA-1");
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "concurrency", "logins", "failed", "logins_per_s", "server_cpu_ms_per_login",
             "gen_cpu_ms_per_login", "machine_busy"});
}

}  // namespace bench
