// TCP with optional STARTTLS (RFC 6120 §5), or TLS from the first byte (XEP-0368).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <memory>

#include "server/net/transport.hpp"

namespace server {

class tcp_transport final : public transport {
  public:
    enum class mode { plain, starttls, direct };
    tcp_transport(asio::ip::tcp::socket socket, asio::ssl::context* tls, mode m);

    framing_kind framing() const override { return framing_kind::stream; }
    asio::awaitable<void> open() override;
    asio::awaitable<std::string_view> read() override;
    asio::awaitable<void> write(const output_units& out) override;
    bool can_start_tls() const override { return mode_ == mode::starttls && !tls_stream_; }
    asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return tls_stream_ && handshake_done_; }
    std::vector<sasl::channel_binding> channel_bindings() const override;
    std::string remote_address() const override { return address_; }
    void close() override;

  private:
    asio::ip::tcp::socket& socket();
    asio::awaitable<void> handshake();

    asio::ip::tcp::socket socket_;
    std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_stream_;
    asio::ssl::context* tls_;
    mode mode_;
    bool handshake_done_ = false;
    std::string address_;
    // A small buffer: most stanzas are far smaller, and idle connections are many.
    char buf_[4096];
};

// RFC 5929 / RFC 9266 channel bindings of a server-side TLS connection, for any
// transport that runs over OpenSSL.
std::vector<sasl::channel_binding> tls_channel_bindings(SSL* ssl);

}  // namespace server
