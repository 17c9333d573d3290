// Owns everything and decides the order things start and stop in: config ->
// storage -> TLS -> router and modules -> listeners -> admin socket; and the
// reverse on the way down.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/admin/registry.hpp"
#include "server/config.hpp"
#include "server/hooks/event_bus.hpp"
#include "server/hooks/module_host.hpp"
#include "server/router/iq_dispatch.hpp"
#include "server/router/router.hpp"
#include "server/storage_executor.hpp"
#include "server/stream/auth_throttle.hpp"
#include "server/stream/stream_context.hpp"

namespace server {

class c2s_session;
class http_service;

class xmpp_server {
  public:
    explicit xmpp_server(config cfg);
    ~xmpp_server();

    // Everything that can fail at start fails here, with a message for the operator.
    std::optional<std::string> start();
    // Runs the I/O threads until stop() completes.
    void run();
    // Graceful: <system-shutdown/> to every stream, wait for them, stop. Any thread.
    void stop();

    const config& cfg() const { return cfg_; }
    router& routing() { return *router_; }
    storage_executor& storage() { return *storage_; }
    const module_host& modules() const { return *modules_; }
    std::size_t connection_count() const { return connections_.load(); }
    std::chrono::steady_clock::time_point started_at() const { return started_at_; }
    void fire_account_removing(const std::string& user, const std::string& host);
    void fire_account_removed(const std::string& user, const std::string& host);

  private:
    void start_listener(const listener_config& lc);
    void accept_next(std::size_t index);
    asio::io_context& next_io();
    void register_session(const std::shared_ptr<c2s_session>& s);
    void unregister_session(c2s_session* s);
    void drain(std::chrono::steady_clock::time_point deadline);

    config cfg_;
    std::vector<std::unique_ptr<asio::io_context>> ios_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::atomic<std::size_t> next_io_{0};
    std::unique_ptr<storage_executor> storage_;
    asio::ssl::context tls_{asio::ssl::context::tls_server};
    event_bus events_;
    iq_dispatch iqs_;
    std::unique_ptr<router> router_;
    std::unique_ptr<module_host> modules_;
    std::unique_ptr<auth_throttle> throttle_;
    std::unique_ptr<stream_context> stream_ctx_;
    std::unique_ptr<http_service> http_;

    struct listener {
        listener_config config;
        std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    };
    std::vector<listener> listeners_;
    std::unique_ptr<admin::registry> commands_;
    std::unique_ptr<admin::admin_socket> admin_;
    std::unique_ptr<asio::signal_set> signals_;

    std::mutex live_mu_;
    std::unordered_map<c2s_session*, std::weak_ptr<c2s_session>> live_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point started_at_;
};

}  // namespace server
