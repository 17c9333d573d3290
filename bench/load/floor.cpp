// floor: the chat load with no XMPP server in the way. The same generator sends
// the same message bytes, with the same pacing, through `parley-load relay`
// (plain TCP, one epoll loop, bytes copied from one connection of a pair to the
// other). What is left is the cost of loopback TCP on this machine: the floor
// under any server's chat latency and a baseline for its CPU per message.
// There is no login: the relay pairs connections in accept order, so the 2P
// connections are made one at a time, sender k as connection 2k and receiver k
// as 2k+1.
#include "bench/load/scenario.hpp"

#include <algorithm>

#include "bench/load/chat_traffic.hpp"

namespace bench {

void run_floor(const run_options& opts) {
    load l(opts);
    const auto p = std::max<std::size_t>(opts.pairs, 1);
    chat_traffic traffic(l, p);
    std::size_t failed = 0;

    l.run(
        [&]() -> asio::awaitable<void> {
            std::vector<std::shared_ptr<xmpp_client>> clients;
            failed = co_await l.connect_all(clients, 2 * p);
            for (std::size_t k = 0; k < p; ++k) {
                // The full JID chat's receiver k would have bound, so that the
                // messages are as long as chat's.
                auto to = l.user(2 * k + 1) + "@" + opts.client.domain + "/chat" +
                          std::to_string(2 * k + 1);
                traffic.attach(k, clients[2 * k], clients[2 * k + 1], std::move(to));
            }
            if (!failed) {
                co_await l.sleep(0.5);
                co_await traffic.measure();
            }
            co_await l.abort_all(clients);
        },
        opts.duration_s * 2 + 60);

    traffic.print_report("floor", "failed_connects", failed);
}

}  // namespace bench
