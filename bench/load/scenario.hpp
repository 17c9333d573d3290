// The scenarios and what they share. Each runs on its own single-threaded
// io_context (one core for the generator, the other for the server on a
// 2-core machine), is bounded in count and in time, and prints one report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/xmpp_client.hpp"

namespace bench {

struct run_options {
    client_options client;
    tcp::endpoint listen;  // relay: where to accept
    pid_t server_pid = 0;  // whose CPU and RSS to report (0: none)
    std::string label = "server";
    std::string user_prefix = "u";
    std::size_t users = 1000;        // accounts u0..u<users-1>, all with the same password
    std::size_t connections = 1000;  // idle: N
    std::size_t concurrency = 50;    // logins in flight
    std::size_t logins = 2000;       // login: how many
    std::size_t pairs = 50;          // chat: P
    std::size_t window = 8;          // chat: messages in flight per pair
    std::size_t messages = 100000;   // chat: total to send
    std::size_t body_bytes = 64;     // chat: body size
    double rate = 0;            // chat: messages/s over all pairs; 0 = as fast as the window allows
    double warmup_s = 0.2;      // chat: sent first at the same rate or window, not measured
    double duration_s = 120;    // hard bound for each phase
    double settle_s = 2;        // idle: hold the clients this long, sampling the RSS
    std::size_t contacts = 20;  // presence: roster size; users form groups of contacts + 1
    std::size_t changes = 10;   // presence: changes per user
};

// Everything a scenario needs to drive clients on one io_context.
class load {
  public:
    explicit load(const run_options& opts);
    asio::io_context& io() { return io_; }
    const run_options& opts() const { return opts_; }

    std::shared_ptr<xmpp_client> make_client();
    std::string user(std::size_t i) const;

    // Logs in clients [0, n) of `clients` (created here, then handed to
    // `prepare` if given) with `concurrency` in flight; each starts its read loop
    // once logged in. Returns failures.
    asio::awaitable<std::size_t> login_all(
        std::vector<std::shared_ptr<xmpp_client>>& clients, std::size_t n,
        std::string resource_prefix, std::function<void(std::size_t, xmpp_client&)> prepare = {});
    // Connects clients [0, n) over plain TCP with no XMPP, strictly one after
    // another (each connect completes before the next starts, so a listener
    // accepts them in this order); each starts its read loop. Returns failures.
    asio::awaitable<std::size_t> connect_all(std::vector<std::shared_ptr<xmpp_client>>& clients,
                                             std::size_t n);
    // Closes all clients and waits (bounded) until their read loops ended.
    asio::awaitable<void> close_all(std::vector<std::shared_ptr<xmpp_client>>& clients);
    // The same without ending a stream first: for connect_all's clients.
    asio::awaitable<void> abort_all(std::vector<std::shared_ptr<xmpp_client>>& clients);

    // Polls `done` until true or `timeout`; false on timeout.
    asio::awaitable<bool> wait_until(std::function<bool()> done, double timeout_s);
    asio::awaitable<void> sleep(double seconds);

    // Runs `main` to completion (or until the hard time bound).
    void run(std::function<asio::awaitable<void>()> main, double bound_s);

    std::size_t read_loops_running = 0;
    std::string first_error;

  private:
    void start_reading(std::shared_ptr<xmpp_client> c);

    const run_options& opts_;
    asio::io_context io_{1};
    asio::ssl::context tls_{asio::ssl::context::tls_client};
    scram_keys_cache keys_;
};

void run_idle(const run_options& opts);
void run_login(const run_options& opts);
void run_chat(const run_options& opts);
void run_floor(const run_options& opts);
void run_relay(const run_options& opts);
void run_presence(const run_options& opts);
void run_presence_setup(const run_options& opts);
void run_register(const run_options& opts);

}  // namespace bench
