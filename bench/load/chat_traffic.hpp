// The chat load pattern, shared by two scenarios: chat sends it through an XMPP
// server, floor sends the same bytes through a trivial TCP relay (what the
// machine itself allows). P pairs; in each pair the sender sends one-to-one chat
// messages to the receiver, at most W in flight, either refilled on every
// delivery or paced at a fixed total rate. Latency comes from the send time in
// the body (latency_marker.hpp).
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

    // The measured phase: sends until every message was delivered or bounced,
    // or --duration passed; samples CPU around it.
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

    void send_one(pair_state& ps);
    void fill(pair_state& ps);
    bool done() const { return delivered_ + errors_ >= opts_.messages; }
    asio::awaitable<void> paced();

    load& l_;
    const run_options& opts_;
    std::vector<pair_state> pairs_;
    const std::string pad_;
    std::vector<std::int64_t> latencies_;
    std::size_t delivered_ = 0, errors_ = 0, sent_ = 0, id_ = 0;
    std::int64_t t_start_ = 0, t_last_ = 0;
    cpu_delta cpu_;
};

}  // namespace bench
