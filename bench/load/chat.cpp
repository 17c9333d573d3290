// chat: P pairs; in each pair one client sends one-to-one chat messages to the
// other with at most W in flight (or at a fixed total rate). Reports delivered
// messages/s, latency from the timestamp in the body, and server CPU seconds per
// 100,000 messages. The traffic itself is chat_traffic.hpp.
#include "bench/load/scenario.hpp"

#include <algorithm>

#include "bench/load/chat_traffic.hpp"

namespace bench {

void run_chat(const run_options& opts) {
    load l(opts);
    const auto p = std::max<std::size_t>(opts.pairs, 1);
    chat_traffic traffic(l, p);
    std::size_t failed = 0;

    l.run(
        [&]() -> asio::awaitable<void> {
            std::vector<std::shared_ptr<xmpp_client>> clients;
            failed = co_await l.login_all(clients, 2 * p, "chat");
            for (std::size_t k = 0; k < p; ++k)
                traffic.attach(k, clients[2 * k], clients[2 * k + 1], clients[2 * k + 1]->jid());
            if (failed) {
                co_await l.close_all(clients);
                co_return;
            }
            co_await l.sleep(0.5);
            co_await traffic.measure();
            co_await l.close_all(clients);
        },
        opts.duration_s * 2 + 60);

    traffic.print_report("chat", "failed_logins", failed);
}

}  // namespace bench
