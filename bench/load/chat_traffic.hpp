// The chat load pattern, shared by two scenarios: chat sends it through an XMPP
// server, floor sends the same bytes through a trivial TCP relay (what the
// machine itself allows). P pairs; in each pair the sender sends one-to-one chat
// messages to the receiver, at most W in flight, either refilled on every
// delivery or paced at a fixed total rate. Latency comes from the send time in
// the body (latency_marker.hpp).
//
// The traffic runs for --warmup seconds before the M measured messages: a rate
// or a window is a steady state, and the step from an idle machine to it is not.
// On two cores the scheduler first tends to put the generator and the server on
// one core (each wakes the other), and for the tens of milliseconds until it
// moves one of them, messages queue: in a run of a second, enough of them to
// set the p99 by themselves. Messages sent in the warm-up are delivered and
// checked for bounces like the others but take no part in the figures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/latency_marker.hpp"
#include "bench/load/proc_stats.hpp"
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

namespace bench {

class chat_traffic {
  public:
    // Uses l.opts(): window, messages, body_bytes, rate, duration_s, server_pid.
    chat_traffic(load& l, std::size_t pairs);

    // Pair k: `sender` addresses its messages to `to`; `receiver` should get them.
    void attach(std::size_t k, std::shared_ptr<xmpp_client> sender,
                std::shared_ptr<xmpp_client> receiver, std::string to);

    // The warm-up, then the measured phase: sends until every measured message
    // was delivered or bounced, or --duration passed; samples CPU around the
    // measured phase only.
    asio::awaitable<void> measure();

    // The JSON line and the row, fields in the order chat prints them; the
    // scenario's own count of failures (`failed_key`) sits in the middle.
    void print_report(const std::string& scenario, const char* failed_key, std::size_t failed);

  private:
    void add_counts(report& r) const;
    void add_figures(report& r);

    struct pair_state {
        std::shared_ptr<xmpp_client> sender, receiver;
        std::string to;
        marker_scanner rx, bounced;
        std::size_t in_flight = 0, sent = 0, budget = 0;
    };

    // Sends pair `ps`'s next message if it may now: room in its window, and
    // measured messages left (the warm-up has no budget; it ends with its time).
    bool send_one(pair_state& ps);
    void fill(pair_state& ps);
    // Whether a message stamped `t` belongs to the warm-up.
    bool warming(std::int64_t t) const { return t < t_measure_; }
    bool done() const { return delivered_ + errors_ >= opts_.messages; }
    asio::awaitable<void> paced();

    load& l_;
    const run_options& opts_;
    std::vector<pair_state> pairs_;
    const std::string pad_;
    std::vector<std::int64_t> latencies_;
    // Measured messages (sent at or after t_measure_) and warm-up ones apart.
    std::size_t delivered_ = 0, errors_ = 0, sent_ = 0, id_ = 0;
    std::size_t warmup_sent_ = 0, warmup_delivered_ = 0, warmup_errors_ = 0;
    std::int64_t t_start_ = 0, t_measure_ = 0, t_last_ = 0;
    cpu_delta cpu_;
};

}  // namespace bench
