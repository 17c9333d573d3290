// Bytes in, bytes out. A transport knows nothing about XML or stanzas; the stream
// above it does not know whether it runs over TCP, TLS or (later) WebSocket.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <memory>
#include <string>
#include <vector>

#include "sasl/authenticator.hpp"

namespace server {

namespace asio = boost::asio;

class transport {
  public:
    virtual ~transport() = default;
    virtual asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf) = 0;
    virtual asio::awaitable<void> write(asio::const_buffer buf) = 0;
    // STARTTLS (RFC 6120 §5): the TLS handshake on the existing connection.
    virtual bool can_start_tls() const = 0;
    virtual asio::awaitable<void> start_tls() = 0;
    virtual bool is_secure() const = 0;
    // Channel-binding data for SCRAM-*-PLUS (XEP-0440); empty when not secure.
    virtual std::vector<sasl::channel_binding> channel_bindings() const = 0;
    virtual std::string remote_address() const = 0;
    virtual void close() = 0;
};

// TCP with optional STARTTLS, or TLS from the first byte (XEP-0368).
class tcp_transport final : public transport {
  public:
    enum class mode { plain, starttls, direct };
    tcp_transport(asio::ip::tcp::socket socket, asio::ssl::context* tls, mode m);

    // For direct TLS: the handshake before any XML.
    asio::awaitable<void> handshake();

    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf) override;
    asio::awaitable<void> write(asio::const_buffer buf) override;
    bool can_start_tls() const override { return mode_ == mode::starttls && !tls_stream_; }
    asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return tls_stream_ && handshake_done_; }
    std::vector<sasl::channel_binding> channel_bindings() const override;
    std::string remote_address() const override { return address_; }
    void close() override;

  private:
    asio::ip::tcp::socket& socket();

    asio::ip::tcp::socket socket_;
    std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_stream_;
    asio::ssl::context* tls_;
    mode mode_;
    bool handshake_done_ = false;
    std::string address_;
};

}  // namespace server
