// TCP with optional STARTTLS (RFC 6120 §5), or TLS from the first byte (XEP-0368).
//
// OpenSSL runs the handshake directly on the non-blocking socket rather than
// through asio::ssl::stream: that stream's engine keeps two 17 KiB buffers and a
// 2 x 17 KiB BIO pair per connection for its whole life, which
// SSL_MODE_RELEASE_BUFFERS cannot release. Once a TLS 1.3 handshake is done the
// SSL object is freed too and tls13::record_layer carries the connection on
// (tls13_record_layer.hpp); TLS 1.2 stays with OpenSSL, whose record buffers are
// freed whenever they are empty. Input is read into a buffer shared by every
// connection of the I/O thread (see transport::read()), so an idle connection
// holds its keys and nothing else.
#pragma once

#include <openssl/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "server/net/tls13_record_layer.hpp"
#include "server/net/transport.hpp"

namespace server {

class tcp_transport final : public transport {
  public:
    enum class mode { plain, starttls, direct };
    tcp_transport(asio::ip::tcp::socket socket, asio::ssl::context* tls, mode m);
    ~tcp_transport() override;
    tcp_transport(const tcp_transport&) = delete;
    tcp_transport& operator=(const tcp_transport&) = delete;

    framing_kind framing() const override { return framing_kind::stream; }
    asio::awaitable<void> open() override;
    asio::awaitable<std::string_view> read() override;
    asio::awaitable<void> write(const output_units& out) override;
    try_result try_write(const output_units& out) override;
    bool can_start_tls() const override { return mode_ == mode::starttls && !tls_started_; }
    asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return handshake_done_; }
    std::vector<sasl::channel_binding> channel_bindings() const override;
    std::string remote_address() const override { return address_; }
    void close() override;
    void release_idle() override;

  private:
    // The BIO through which OpenSSL reads and writes the socket.
    struct socket_bio;

    asio::awaitable<void> handshake();
    // After an SSL_* call returned `ret`: the socket readiness to wait for before
    // calling again, or an exception when the connection cannot go on.
    asio::ip::tcp::socket::wait_type wait_type_for(int ret, const char* what);
    void check_open() const;
    // Plain TCP, or TLS through OpenSSL (TLS 1.2, or before the handshake ends).
    asio::awaitable<std::string_view> read_openssl();
    asio::awaitable<void> write_openssl(const output_units& out);
    // Application data over the record layer (TLS 1.3 after the handshake).
    asio::awaitable<std::string_view> read_records();
    asio::awaitable<void> write_records(const output_units& out);
    // Sends what it can of `bytes` without waiting; throws on a socket error.
    std::size_t send_now(std::string_view bytes);
    // Seals `out` and sends what the socket takes at once; the rest waits in
    // unsent_, which send_unsent() sends, waiting for the socket as it must.
    void seal_and_send(const output_units& out);
    asio::awaitable<void> send_unsent();
    // Best effort, never blocking: an alert, unless a record is half sent.
    void send_alert(tls13::alert a);

    asio::ip::tcp::socket socket_;
    asio::ssl::context* tls_;
    SSL* ssl_ = nullptr;                            // TLS 1.2, or a handshake under way
    std::unique_ptr<tls13::record_layer> records_;  // TLS 1.3 once the handshake is done
    // A record that arrived in part, kept until the rest of it comes.
    std::string partial_record_;
    // Sealed records the socket has not taken yet: they go out before any other.
    std::string unsent_;
    // Taken at the end of the handshake, while the SSL object is still there.
    std::vector<sasl::channel_binding> bindings_;
    mode mode_;
    bool tls_started_ = false;
    bool handshake_done_ = false;
    bool peer_closed_ = false;  // close_notify came: the next read is the end
    // The last read took less than it had room for: the socket was empty then,
    // so the next read waits first instead of trying a recv() that would fail
    // (one system call less per burst of input). The wait completes on input
    // that is already there too: Asio re-arms the descriptor for every wait
    // (tests/unit/server/tcp_transport_test.cpp holds it to that).
    bool drained_ = false;
    bool half_written_ = false;  // a record is partly on the wire
    // A fatal TLS error happened: OpenSSL must not be asked to send close_notify.
    bool tls_failed_ = false;
    // What the socket BIO saw last: end of input, or the errno of a failed call.
    bool peer_eof_ = false;
    int socket_errno_ = 0;
    std::string address_;
};

// RFC 5929 / RFC 9266 channel bindings of a server-side TLS connection, for any
// transport that runs over OpenSSL.
std::vector<sasl::channel_binding> tls_channel_bindings(SSL* ssl);

}  // namespace server
