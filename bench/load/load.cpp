#include "bench/load/scenario.hpp"
#include "server/net/tls13_handoff.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bench {

load::load(const run_options& opts) : opts_(opts) {
    tls_.set_verify_mode(asio::ssl::verify_none);  // servers use self-signed certificates
    // With verify_none OpenSSL still builds and checks the chain, then ignores
    // the verdict: skip that work. The handshake itself (certificate parsing,
    // CertificateVerify signature, key exchange) is unchanged.
    SSL_CTX_set_cert_verify_callback(
        tls_.native_handle(), [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
    // Idle connections hold no TLS buffers, as on the server side.
    SSL_CTX_set_mode(tls_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    // TLS 1.3 connections are carried on by the record layer (client_channel.hpp).
    server::tls13::capture_secrets(tls_.native_handle());
    if (opts.client.tls12) SSL_CTX_set_max_proto_version(tls_.native_handle(), TLS1_2_VERSION);
}

std::shared_ptr<xmpp_client> load::make_client() {
    return std::make_shared<xmpp_client>(io_, tls_, opts_.client, keys_);
}

std::string load::user(std::size_t i) const {
    return opts_.user_prefix + std::to_string(i % opts_.users);
}

asio::awaitable<std::size_t> load::login_all(
    std::vector<std::shared_ptr<xmpp_client>>& clients, std::size_t n, std::string resource_prefix,
    std::function<void(std::size_t, xmpp_client&)> prepare) {
    clients.clear();
    for (std::size_t i = 0; i < n; ++i) {
        clients.push_back(make_client());
        if (prepare) prepare(i, *clients.back());
    }
    std::size_t next = 0, finished = 0, failed = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < n) {
            auto i = next++;
            auto c = clients[i];
            auto err = co_await c->login(user(i), resource_prefix + std::to_string(i), i);
            if (!err.empty()) {
                ++failed;
                if (first_error.empty()) first_error = user(i) + ": " + err;
            } else {
                start_reading(c);
            }
            ++finished;
        }
    };
    std::size_t workers = std::min(opts_.concurrency, n);
    for (std::size_t w = 0; w < workers; ++w) asio::co_spawn(io_, worker, asio::detached);
    co_await wait_until([&] { return finished == n; }, opts_.duration_s);
    // Workers still running past the bound hold references to locals here: stop them.
    if (finished != n) io_.stop();
    co_return failed + (n - finished);
}

void load::start_reading(std::shared_ptr<xmpp_client> c) {
    ++read_loops_running;
    asio::co_spawn(
        io_,
        [this, c]() -> asio::awaitable<void> {
            co_await c->read_loop();
            --read_loops_running;
        },
        asio::detached);
}

asio::awaitable<std::size_t> load::connect_all(std::vector<std::shared_ptr<xmpp_client>>& clients,
                                               std::size_t n) {
    clients.clear();
    std::size_t failed = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = make_client();
        clients.push_back(c);
        auto err = co_await c->connect_plain(i);
        if (!err.empty()) {
            ++failed;
            if (first_error.empty()) first_error = "connection " + std::to_string(i) + ": " + err;
        } else {
            start_reading(c);
        }
    }
    co_return failed;
}

asio::awaitable<void> load::abort_all(std::vector<std::shared_ptr<xmpp_client>>& clients) {
    for (auto& c : clients) c->abort();
    co_await wait_until([this] { return read_loops_running == 0; }, 10);
}

asio::awaitable<void> load::close_all(std::vector<std::shared_ptr<xmpp_client>>& clients) {
    for (auto& c : clients) c->close(std::chrono::milliseconds(3000));
    co_await wait_until([this] { return read_loops_running == 0; }, 10);
}

asio::awaitable<bool> load::wait_until(std::function<bool()> done, double timeout_s) {
    auto end = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(timeout_s));
    asio::steady_timer t(io_);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) co_return false;
        t.expires_after(std::chrono::milliseconds(5));
        co_await t.async_wait(asio::use_awaitable);
    }
    co_return true;
}

asio::awaitable<void> load::sleep(double seconds) {
    asio::steady_timer t(io_);
    t.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds)));
    co_await t.async_wait(asio::use_awaitable);
}

void load::run(std::function<asio::awaitable<void>()> main, double bound_s) {
    bool finished = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            co_await main();
            finished = true;
            io_.stop();
        },
        asio::detached);
    // The hard bound: whatever happens, the scenario ends by itself.
    io_.run_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(bound_s)));
    if (!finished && first_error.empty()) first_error = "time bound reached";
}

}  // namespace bench
