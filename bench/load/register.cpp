// register: creates the accounts u0..u<users-1> by in-band registration
// (XEP-0077), for servers that allow it. Not a measurement.
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace bench {

void run_register(const run_options& opts) {
    load l(opts);
    std::size_t next = 0, finished = 0, failed = 0;
    l.run(
        [&]() -> asio::awaitable<void> {
            auto worker = [&]() -> asio::awaitable<void> {
                while (next < opts.users) {
                    auto i = next++;
                    auto c = l.make_client();
                    auto err = co_await c->register_account(l.user(i), i);
                    if (!err.empty()) {
                        ++failed;
                        if (l.first_error.empty()) l.first_error = l.user(i) + ": " + err;
                    } else {
                        co_await c->read_loop();
                    }
                    ++finished;
                }
            };
            for (std::size_t w = 0; w < std::min(opts.concurrency, opts.users); ++w)
                asio::co_spawn(l.io(), worker, asio::detached);
            co_await l.wait_until([&] { return finished == opts.users; }, opts.duration_s);
        },
        opts.duration_s + 10);
    report r("register", opts.label);
    r.add("users", (long long)opts.users)
        .add("failed", (long long)(failed + opts.users - finished));
    if (!l.first_error.empty()) r.add("error", l.first_error);
    r.print({"server", "users", "failed"});
}

}  // namespace bench
