#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <set>

#include "sasl/authenticator.hpp"
#include "server/admin/core_commands.hpp"
#include "server/http/http_service.hpp"
#include "server/log.hpp"
#include "server/net/tcp_transport.hpp"
#include "server/net/tls_context.hpp"
#include "server/stream/c2s_session.hpp"
#include "storage/accounts.hpp"

namespace server {

namespace {

constexpr auto drain_timeout = std::chrono::seconds(5);

std::optional<storage::scram_hash> hash_for(std::string_view mech) {
    if (mech == "SCRAM-SHA-1") return storage::scram_hash::sha1;
    if (mech == "SCRAM-SHA-256") return storage::scram_hash::sha256;
    if (mech == "SCRAM-SHA-512") return storage::scram_hash::sha512;
    return std::nullopt;
}

// SASL reads credentials through these, always on a storage thread (the
// c2s session runs every SASL step there).
sasl::credential_source credentials_from(storage_executor& storage) {
    sasl::credential_source src;
    src.lookup = [&storage](std::string_view user, std::string_view realm,
                            std::string_view mech) -> std::optional<std::string> {
        auto hash = hash_for(mech);
        auto local = xml::nodeprep(user);
        if (!hash || !local) return std::nullopt;
        storage::accounts accounts(storage.db());
        auto secret = accounts.secret(*local, realm, *hash);
        if (!secret || !secret.value()) return std::nullopt;
        return storage::to_auth_password(*secret.value());
    };
    src.check = [&storage](std::string_view user, std::string_view realm,
                           std::string_view password) {
        auto local = xml::nodeprep(user);
        if (!local) return false;
        storage::accounts accounts(storage.db());
        auto secret = accounts.secret(*local, realm, storage::scram_hash::sha256);
        return secret && secret.value() && storage::verify_password(*secret.value(), password);
    };
    return src;
}

}  // namespace

xmpp_server::xmpp_server(config cfg) : cfg_(std::move(cfg)) {}

xmpp_server::~xmpp_server() {
    if (storage_) storage_->join();
}

std::optional<std::string> xmpp_server::start() {
    namespace fs = std::filesystem;
    log::set_level(cfg_.log);
    started_at_ = std::chrono::steady_clock::now();
    std::error_code ec;
    fs::create_directories(cfg_.data_dir, ec);
    if (ec) return "cannot create data directory " + cfg_.data_dir + ": " + ec.message();

    unsigned threads =
        cfg_.io_threads ? cfg_.io_threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) {
        ios_.push_back(std::make_unique<asio::io_context>(1));
        work_.push_back(asio::make_work_guard(*ios_.back()));
    }

    // Open (and migrate) the database now, so a broken one stops the start.
    {
        auto db = storage::database::open(cfg_.database_path());
        if (!db) return "cannot open database " + cfg_.database_path() + ": " + db.error().message;
    }
    storage_ = std::make_unique<storage_executor>(cfg_.database_path(), cfg_.storage_threads);
    if (auto err = sasl::initialize(credentials_from(*storage_))) return "SASL: " + *err;
    if (auto err = make_tls_context(cfg_, tls_)) return "TLS: " + *err;

    router_ = std::make_unique<router>(std::set<std::string>(cfg_.hosts.begin(), cfg_.hosts.end()),
                                       events_, iqs_);
    modules_ = std::make_unique<module_host>(cfg_, events_, iqs_, *router_, *storage_);
    if (auto err = modules_->start(builtin_modules())) return *err;

    throttle_ = std::make_unique<auth_throttle>(cfg_.sasl.failures_before_delay);
    stream_ctx_ = std::make_unique<stream_context>(
        stream_context{cfg_, *router_, events_, *storage_, tls_, *throttle_,
                       [this](const std::shared_ptr<c2s_session>& s) { register_session(s); },
                       [this](c2s_session* s) { unregister_session(s); }});

    http_ = std::make_unique<http_service>(*stream_ctx_);
    if (auto err = http_->start()) return *err;

    try {
        for (const auto& lc : cfg_.listeners) start_listener(lc);
    } catch (const std::exception& e) {
        return e.what();
    }

    commands_ = std::make_unique<admin::registry>();
    admin::add_core_commands(*commands_, *this);
    admin_ = std::make_unique<admin::admin_socket>(*ios_[0], cfg_.admin_socket_path(), *commands_);
    if (auto err = admin_->start()) return *err;

    signals_ = std::make_unique<asio::signal_set>(*ios_[0], SIGTERM, SIGINT);
    signals_->async_wait([this](boost::system::error_code ec, int sig) {
        if (ec) return;
        log::info("server", "signal ", sig, " received, shutting down");
        stop();
    });
    log::info("server", "serving ", cfg_.hosts.size(), " host(s) on ", threads,
              " I/O thread(s); admin socket ", cfg_.admin_socket_path());
    return std::nullopt;
}

void xmpp_server::start_listener(const listener_config& lc) {
    auto& io = *ios_[0];
    auto endpoint = asio::ip::tcp::endpoint(asio::ip::make_address(lc.address), lc.port);
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io);
    boost::system::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + lc.address + ":" + std::to_string(lc.port) +
                                 " (" + lc.name + "): " + ec.message());
    auto port = acceptor->local_endpoint().port();
    static constexpr const char* modes[] = {"none", "starttls", "direct"};
    log::info("server", "listening ", lc.name, " ", modes[static_cast<int>(lc.tls)], " ",
              lc.address, ":", port);
    listeners_.push_back({lc, std::move(acceptor)});
    accept_next(listeners_.size() - 1);
}

asio::io_context& xmpp_server::next_io() {
    // Round-robin: each connection lives on one I/O thread for its whole life.
    return *ios_[next_io_++ % ios_.size()];
}

void xmpp_server::accept_next(std::size_t index) {
    auto& l = listeners_[index];
    auto& io = next_io();
    l.acceptor->async_accept(io, [this, index, &io](boost::system::error_code ec,
                                                    asio::ip::tcp::socket socket) {
        if (stopping_) return;
        if (!ec && listeners_[index].config.kind == listener_kind::http) {
            http_->accept(io, std::move(socket), listeners_[index].config.tls == tls_mode::direct);
        } else if (!ec) {
            auto& lc = listeners_[index].config;
            auto mode = lc.tls == tls_mode::direct     ? tcp_transport::mode::direct
                        : lc.tls == tls_mode::starttls ? tcp_transport::mode::starttls
                                                       : tcp_transport::mode::plain;
            auto t = std::make_unique<tcp_transport>(std::move(socket), &tls_, mode);
            std::make_shared<c2s_session>(*stream_ctx_, io, std::move(t))->start();
        } else if (ec == asio::error::operation_aborted) {
            return;
        } else {
            // EMFILE and friends: log, and keep accepting rather than stop serving.
            log::warn("server", "accept failed: ", ec.message());
        }
        accept_next(index);
    });
}

void xmpp_server::register_session(const std::shared_ptr<c2s_session>& s) {
    std::lock_guard lock(live_mu_);
    live_.emplace(s.get(), s);
    ++connections_;
}

void xmpp_server::unregister_session(c2s_session* s) {
    std::lock_guard lock(live_mu_);
    if (live_.erase(s)) --connections_;
}

void xmpp_server::fire_account_removing(const std::string& user, const std::string& host) {
    account_removing ev{user, host};
    events_.fire(ev);
}

void xmpp_server::fire_account_removed(const std::string& user, const std::string& host) {
    account_removed ev{user, host};
    events_.fire(ev);
}

void xmpp_server::run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < ios_.size(); ++i)
        threads.emplace_back([this, i] { ios_[i]->run(); });
    ios_[0]->run();
    for (auto& t : threads) t.join();
    storage_->join();
    log::info("server", "stopped");
}

void xmpp_server::stop() {
    asio::post(*ios_[0], [this] {
        if (stopping_.exchange(true)) return;
        for (auto& l : listeners_) {
            boost::system::error_code ec;
            l.acceptor->close(ec);
        }
        if (admin_) admin_->stop();
        if (signals_) signals_->cancel();
        std::vector<std::shared_ptr<c2s_session>> live;
        {
            std::lock_guard lock(live_mu_);
            for (auto& [p, weak] : live_)
                if (auto s = weak.lock()) live.push_back(std::move(s));
        }
        log::info("server", "closing ", live.size(), " stream(s) with <system-shutdown/>");
        for (auto& s : live) s->kick(xml::stream_condition::system_shutdown, "server stopping");
        drain(std::chrono::steady_clock::now() + drain_timeout);
    });
}

void xmpp_server::drain(std::chrono::steady_clock::time_point deadline) {
    // Wait (without blocking the thread) until every stream has closed or the
    // deadline passes, then let the I/O threads end.
    if (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        auto timer = std::make_shared<asio::steady_timer>(*ios_[0], std::chrono::milliseconds(20));
        timer->async_wait([this, timer, deadline](boost::system::error_code) { drain(deadline); });
        return;
    }
    modules_->stop();
    for (auto& w : work_) w.reset();
    for (auto& io : ios_) io->stop();
}

}  // namespace server
