#include "bench/load/client_channel.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "server/net/tls13_handoff.hpp"

namespace bench {

namespace {

using asio::use_awaitable;

// Read in pieces this big; a record longer than what is free grows the buffer
// one piece per read until it is whole (at most a record, about 16.6 KiB).
constexpr std::size_t read_piece = 4096;

std::string openssl_error(const char* what) {
    char text[256] = "?";
    if (auto e = ERR_get_error()) ERR_error_string_n(e, text, sizeof text);
    ERR_clear_error();
    return std::string(what) + ": " + text;
}

}  // namespace

client_channel::client_channel(asio::io_context& io) : sock_(io) {}

client_channel::~client_channel() {
    if (ssl_) SSL_free(ssl_);
}

void client_channel::close() {
    boost::system::error_code ignored;
    sock_.close(ignored);
}

asio::awaitable<void> client_channel::handshake(SSL_CTX* ctx, const std::string& server_name) {
    if (!out_.empty() || !wire_.empty())
        throw std::logic_error("TLS handshake with bytes still queued");
    have_ = keep_ = 0;  // the plain stream's last read, handled
    sock_.non_blocking(true);
    ssl_ = SSL_new(ctx);
    if (!ssl_ || SSL_set_fd(ssl_, sock_.native_handle()) != 1)
        throw std::runtime_error(openssl_error("TLS"));
    SSL_set_connect_state(ssl_);
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    server::tls13::watch(ssl_);  // read-ahead off: nothing past the handshake is read
    for (;;) {
        int rc = SSL_do_handshake(ssl_);
        if (rc == 1) break;
        int e = SSL_get_error(ssl_, rc);
        if (e == SSL_ERROR_WANT_READ)
            co_await sock_.async_wait(tcp::socket::wait_read, use_awaitable);
        else if (e == SSL_ERROR_WANT_WRITE)
            co_await sock_.async_wait(tcp::socket::wait_write, use_awaitable);
        else
            throw std::runtime_error(openssl_error("TLS handshake"));
    }
    records_ = server::tls13::take_over(ssl_, server::tls13::role::client);
    if (records_) {
        SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl_);
        ssl_ = nullptr;
    } else {
        SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
}

std::size_t client_channel::ssl_read() {
    if (in_.size() - have_ < read_piece) in_.resize(have_ + read_piece);
    int n = SSL_read(ssl_, in_.data() + have_, int(in_.size() - have_));
    if (n > 0) return std::size_t(n);
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) throw std::runtime_error("TLS: closed by the server");
    throw std::runtime_error(openssl_error("TLS read"));
}

void client_channel::after_read_records() {
    // The caller is done with the plaintext in front: keep the partial record.
    if (keep_ < have_) std::memmove(in_.data(), in_.data() + keep_, have_ - keep_);
    have_ -= keep_;
    keep_ = 0;
}

asio::awaitable<std::string_view> client_channel::read() {
    if (!records_) have_ = 0;  // plaintext from last time is gone
    after_read_records();
    if (!sock_.is_open()) throw std::runtime_error("connection closed");
    for (;;) {
        std::size_t n = 0;
        if (ssl_) {
            n = ssl_read();
            if (n == 0) {
                co_await sock_.async_wait(tcp::socket::wait_read, use_awaitable);
                continue;
            }
        } else {
            // Asio's own read, not recv() and async_wait(): each wait costs an
            // epoll_ctl() in Asio 1.74, a read that finds nothing does not.
            if (in_.size() - have_ < read_piece) in_.resize(have_ + read_piece);
            n = co_await sock_.async_read_some(asio::buffer(in_.data() + have_, in_.size() - have_),
                                               use_awaitable);
        }
        have_ += n;
        if (!records_) co_return std::string_view(in_.data(), have_);
        auto r = records_->open(in_.data(), have_);
        if (r.failed) throw std::runtime_error("TLS: " + r.error);
        if (r.closed) throw std::runtime_error("TLS: closed by the server");
        keep_ = r.consumed;
        if (r.plaintext > 0) co_return std::string_view(in_.data(), r.plaintext);
        after_read_records();  // tickets only, or a record still arriving
    }
}

void client_channel::write(std::string_view bytes) {
    out_.append(bytes);
    if (!busy_) flush();
}

void client_channel::flush() {
    if (!sock_.is_open()) {
        out_.clear();
        wire_.clear();
        return;
    }
    if (ssl_) {
        // TLS 1.2: OpenSSL writes to the socket itself; what it does not take stays queued.
        while (!out_.empty()) {
            int n = SSL_write(ssl_, out_.data(), int(out_.size()));
            if (n > 0) {
                out_.erase(0, std::size_t(n));
                continue;
            }
            int e = SSL_get_error(ssl_, n);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) break;
            ERR_clear_error();
            close();  // the read side sees the end
            out_.clear();
            return;
        }
    } else {
        if (records_)
            records_->seal(out_, wire_);
        else
            wire_.append(out_);
        out_.clear();
    }
    send_wire();
}

void client_channel::send_wire() {
    while (!wire_.empty()) {
        ssize_t n =
            ::send(sock_.native_handle(), wire_.data(), wire_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            wire_.erase(0, std::size_t(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        close();  // the read side sees the end
        wire_.clear();
        out_.clear();
        return;
    }
    busy_ = true;
    auto self = shared_from_this();
    if (!wire_.empty() || !out_.empty()) {
        // The socket is full: go on once it has room.
        sock_.async_wait(tcp::socket::wait_write, [self](boost::system::error_code ec) {
            self->busy_ = false;
            if (!ec) self->flush();
        });
        return;
    }
    // Written; whatever the rest of this turn queues leaves in one write after it.
    asio::post(sock_.get_executor(), [self] {
        self->busy_ = false;
        if (!self->out_.empty()) self->flush();
    });
}

}  // namespace bench
