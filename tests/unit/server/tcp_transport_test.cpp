// tcp_transport's reads over a real loopback connection, plain and TLS 1.3, with
// a blocking client in a thread of its own (plain sockets or OpenSSL).
//
// A read that leaves the socket empty makes the next one wait before it tries
// recv(). That relies on Asio completing a wait for input that is already
// there, even when the reactor saw it arrive while nobody waited (an
// edge-triggered epoll reports such input once): these tests hold it to that.
#include "server/net/tcp_transport.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/config.hpp"
#include "server/net/tls_context.hpp"
#include "tests/support/test_dir.hpp"

namespace server {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

// The client side: connects, then sends what it is given, in order, each piece
// only once the test asks for it.
class client {
  public:
    client(unsigned short port, bool tls) : tls_(tls) {
        thread_ = std::thread([this, port] { run(port); });
    }
    ~client() {
        send(std::nullopt);
        thread_.join();
        if (ssl_) SSL_free(ssl_);
        if (ctx_) SSL_CTX_free(ctx_);
        if (fd_ >= 0) ::close(fd_);
    }
    // Returns once every byte of `bytes` was handed to the kernel.
    void send_and_wait(std::string bytes) {
        auto sent = send(std::move(bytes));
        ASSERT_EQ(sent.wait_for(10s), std::future_status::ready);
        EXPECT_TRUE(sent.get());
    }

  private:
    std::future<bool> send(std::optional<std::string> bytes) {
        std::promise<bool> done;
        auto f = done.get_future();
        {
            std::lock_guard lock(m_);
            queue_.emplace_back(std::move(bytes), std::move(done));
        }
        cv_.notify_one();
        return f;
    }

    void run(unsigned short port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        if (ok && tls_) {
            ctx_ = SSL_CTX_new(TLS_client_method());
            SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
            ssl_ = SSL_new(ctx_);
            SSL_set_fd(ssl_, fd_);
            ok = SSL_connect(ssl_) == 1;
        }
        for (;;) {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return !queue_.empty(); });
            auto [bytes, done] = std::move(queue_.front());
            queue_.erase(queue_.begin());
            lock.unlock();
            if (!bytes) {
                done.set_value(true);
                return;
            }
            done.set_value(ok && write_all(*bytes));
        }
    }

    bool write_all(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            if (tls_) {
                std::size_t n = 0;
                if (SSL_write_ex(ssl_, bytes.data() + off, bytes.size() - off, &n) != 1)
                    return false;
                off += n;
            } else {
                auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
                if (n <= 0) return false;
                off += std::size_t(n);
            }
        }
        return true;
    }

    bool tls_;
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::thread thread_;
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::pair<std::optional<std::string>, std::promise<bool>>> queue_;
};

class tcp_transport_test : public ::testing::TestWithParam<tcp_transport::mode> {
  protected:
    void SetUp() override {
        dir_ = test_support::fresh_test_dir("transport");
        config cfg;
        cfg.data_dir = dir_.string();
        cfg.tls.certificate = (dir_ / "cert.pem").string();
        ASSERT_FALSE(generate_self_signed(cfg.hosts, cfg.tls.certificate).has_value());
        ASSERT_FALSE(make_tls_context(cfg, tls_).has_value());

        tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        client_.emplace(acceptor.local_endpoint().port(),
                        GetParam() == tcp_transport::mode::direct);
        transport_.emplace(acceptor.accept(), &tls_, GetParam());
        ASSERT_TRUE(run([&]() -> asio::awaitable<void> { co_await transport_->open(); }));
    }
    void TearDown() override {
        transport_.reset();
        client_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Runs `step` to its end on io_; false if it threw or took over 10 seconds.
    // A step that hangs is ended by closing the transport, so that it never
    // outlives what it refers to.
    template <typename Step>
    bool run(Step step) {
        bool done = false, failed = false;
        asio::co_spawn(io_, step(), [&](std::exception_ptr e) {
            done = true;
            failed = e != nullptr;
        });
        io_.restart();
        auto until = std::chrono::steady_clock::now() + 10s;
        while (!done && std::chrono::steady_clock::now() < until) io_.run_for(100ms);
        if (done) return !failed;
        transport_->close();
        while (!done) io_.run_one();
        return false;
    }

    // Reads until `want` bytes came (or run() gives up), in as many reads as it takes.
    std::string read(std::size_t want, int* reads = nullptr) {
        std::string got;
        EXPECT_TRUE(run([&]() -> asio::awaitable<void> {
            while (got.size() < want) {
                got += co_await transport_->read();
                if (reads) ++*reads;
            }
        }));
        return got;
    }

    std::filesystem::path dir_;
    asio::io_context io_{1};
    asio::ssl::context tls_{asio::ssl::context::tls_server};
    std::optional<client> client_;
    std::optional<tcp_transport> transport_;
};

TEST_P(tcp_transport_test, input_that_came_while_nobody_read_is_read_next) {
    client_->send_and_wait("<presence/>");
    EXPECT_EQ(read(11), "<presence/>");  // less than the buffer: the socket was left empty

    // More comes while no read is waiting; the reactor sees it and finds nobody.
    client_->send_and_wait("<message/>");
    io_.restart();
    for (int i = 0; i < 5; ++i) io_.poll();

    // The next read waits first, and that wait ends because the input is there.
    EXPECT_EQ(read(10), "<message/>");
}

TEST_P(tcp_transport_test, more_than_a_buffer_at_once_comes_whole_and_in_order) {
    std::string big;
    for (int i = 0; big.size() < 300 * 1024; ++i)
        big += "<message id='" + std::to_string(i) + "'/>";
    client_->send_and_wait(big);
    int reads = 0;
    EXPECT_EQ(read(big.size(), &reads), big);
    EXPECT_GT(reads, 1);  // more than one buffer's worth: some reads came back full
}

INSTANTIATE_TEST_SUITE_P(modes, tcp_transport_test,
                         ::testing::Values(tcp_transport::mode::plain, tcp_transport::mode::direct),
                         [](const auto& info) {
                             return info.param == tcp_transport::mode::plain ? "plain" : "tls13";
                         });

}  // namespace
}  // namespace server
