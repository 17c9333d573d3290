#include "bench/load/chat_traffic.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bench {

namespace {

// The '#' row: the same keys for chat and floor, so the two read side by side.
const std::vector<std::string> row_keys = {"server",
                                           "pairs",
                                           "delivered",
                                           "errors",
                                           "msgs_per_s",
                                           "lat_p50_ms",
                                           "lat_p99_ms",
                                           "lat_max_ms",
                                           "server_cpu_s_per_100k",
                                           "gen_cpu_s_per_100k",
                                           "machine_busy"};
}  // namespace

chat_traffic::chat_traffic(load& l, std::size_t pairs)
    : l_(l),
      opts_(l.opts()),
      pairs_(pairs),
      pad_(opts_.body_bytes > 24 ? opts_.body_bytes - 24 : 0, 'x') {
    latencies_.reserve(opts_.messages);
}

void chat_traffic::attach(std::size_t k, std::shared_ptr<xmpp_client> sender,
                          std::shared_ptr<xmpp_client> receiver, std::string to) {
    const auto p = pairs_.size();
    auto& ps = pairs_[k];
    ps.sender = std::move(sender);
    ps.receiver = std::move(receiver);
    ps.to = std::move(to);
    ps.budget = opts_.messages / p + (k < opts_.messages % p ? 1 : 0);
    ps.receiver->on_bytes = [this, k](std::string_view bytes) {
        auto& me = pairs_[k];
        me.rx.scan(bytes, [&](std::int64_t t) {
            --me.in_flight;
            if (warming(t)) {
                ++warmup_delivered_;
                return;
            }
            t_last_ = now_ns();
            latencies_.push_back(t_last_ - t);
            ++delivered_;
        });
        if (opts_.rate <= 0) fill(me);
    };
    // Anything of ours that comes back to the sender is a bounce.
    ps.sender->on_bytes = [this, k](std::string_view bytes) {
        auto& me = pairs_[k];
        me.bounced.scan(bytes, [&](std::int64_t t) {
            --me.in_flight;
            ++(warming(t) ? warmup_errors_ : errors_);
        });
    };
}

bool chat_traffic::send_one(pair_state& ps) {
    // One clock reading decides both the stamp and which phase the message is
    // in, so the receiving side sorts it the same way.
    auto now = now_ns();
    bool warm = warming(now);
    if (ps.in_flight >= opts_.window || (!warm && ps.sent >= ps.budget)) return false;
    ++ps.in_flight;
    if (warm) {
        ++warmup_sent_;
    } else {
        ++ps.sent;
        ++sent_;
    }
    ps.sender->send("<message to='" + ps.to + "' type='chat' id='m" + std::to_string(++id_) +
                    "'><body>" + marker(now) + pad_ + "</body></message>");
    return true;
}

void chat_traffic::fill(pair_state& ps) {
    while (send_one(ps)) {
    }
}

asio::awaitable<void> chat_traffic::measure() {
    t_start_ = now_ns();
    t_measure_ = t_start_ + std::int64_t(opts_.warmup_s * 1e9);
    // The CPU figures cover the measured messages only: sampled when the
    // warm-up ends (a timer of its own, since either way of sending may be
    // waiting then) and at the end.
    cpu_sample cpu0{};
    bool sampled = false;
    auto sample_start = [&] {
        cpu0 = sample_cpu(opts_.server_pid);
        sampled = true;
    };
    asio::steady_timer at_measure(l_.io());
    if (t_measure_ > t_start_) {
        at_measure.expires_after(std::chrono::nanoseconds(t_measure_ - t_start_));
        at_measure.async_wait([&](boost::system::error_code ec) {
            if (!ec) sample_start();  // cancelled below, this frame may be gone
        });
    } else {
        sample_start();  // no warm-up: before the first message
    }
    if (opts_.rate <= 0) {
        for (auto& ps : pairs_) fill(ps);
        co_await l_.wait_until([this] { return done(); }, opts_.warmup_s + opts_.duration_s);
    } else {
        co_await paced();
    }
    // Past the bound before the warm-up ended: nothing was measured.
    if (!sampled) {
        at_measure.cancel();
        sample_start();
    }
    cpu_ = sample_cpu(opts_.server_pid) - cpu0;
}

// Every tick, sends what the rate allows so far, round robin over pairs with
// room in their window. The warm-up is paced the same way, so the measured
// messages start at the rate, not from a standstill.
asio::awaitable<void> chat_traffic::paced() {
    const auto p = pairs_.size();
    asio::steady_timer tick(l_.io());
    std::size_t rr = 0;
    auto end = t_measure_ + std::int64_t(opts_.duration_s * 1e9);
    while (!done() && now_ns() < end) {
        // The pairs' budgets stop the measured messages at M.
        auto due = std::size_t(double(now_ns() - t_start_) / 1e9 * opts_.rate);
        for (std::size_t tries = 0; warmup_sent_ + sent_ < due && tries < p; ++rr) {
            if (send_one(pairs_[rr % p]))
                tries = 0;
            else
                ++tries;
        }
        tick.expires_after(std::chrono::microseconds(500));
        co_await tick.async_wait(asio::use_awaitable);
    }
}

void chat_traffic::print_report(const std::string& scenario, const char* failed_key,
                                std::size_t failed) {
    report r(scenario, opts_.label);
    add_counts(r);
    r.add(failed_key, (long long)failed);
    add_figures(r);
    if (!l_.first_error.empty()) r.add("error", l_.first_error);
    r.print(row_keys);
}

void chat_traffic::add_counts(report& r) const {
    r.add("pairs", (long long)pairs_.size())
        .add("window", (long long)opts_.window)
        .add("rate_target", opts_.rate, 0)
        .add("sent", (long long)sent_)
        .add("delivered", (long long)delivered_)
        .add("errors", (long long)errors_)
        .add("warmup_s", opts_.warmup_s, 2)
        .add("warmup_sent", (long long)warmup_sent_)
        .add("warmup_delivered", (long long)warmup_delivered_)
        .add("warmup_errors", (long long)warmup_errors_);
}

void chat_traffic::add_figures(report& r) {
    double elapsed = t_last_ > t_measure_ ? double(t_last_ - t_measure_) / 1e9 : 0;
    auto per_100k = [&](double s) { return delivered_ ? s * 1e5 / double(delivered_) : 0; };
    r.add("elapsed_s", elapsed)
        .add("msgs_per_s", elapsed > 0 ? double(delivered_) / elapsed : 0, 0)
        .add("lat_p50_ms", percentile_ms(latencies_, 0.50))
        .add("lat_p99_ms", percentile_ms(latencies_, 0.99))
        .add("lat_max_ms", percentile_ms(latencies_, 1.0))
        .add("server_cpu_s", cpu_.server_s)
        .add("server_cpu_s_per_100k", per_100k(cpu_.server_s))
        .add("gen_cpu_s_per_100k", per_100k(cpu_.self_s))
        .add("machine_busy", cpu_.machine_busy, 2);
}

}  // namespace bench
