// XMPP over WebSocket (RFC 7395) as a transport: one text message in, one
// element's worth of output per message out. The HTTP connection that received
// the upgrade request hands its stream over; accept() answers the handshake with
// the 'xmpp' subprotocol (RFC 7395 §3.1).
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <memory>

#include "server/net/transport.hpp"

namespace server {

namespace beast = boost::beast;

struct websocket_options {
    std::size_t max_message_bytes;           // larger: closed with 1009 (RFC 6455 §7.4.1)
    std::chrono::seconds handshake_timeout;  // opening and closing handshakes
    std::chrono::seconds keepalive;          // ping after half of it idle, close after all
    bool permessage_deflate;
};

// Stream is beast::tcp_stream (ws://) or beast::ssl_stream<beast::tcp_stream> (wss://).
template <class Stream>
class websocket_transport final : public transport {
  public:
    websocket_transport(Stream stream, std::string remote_address, const websocket_options& o);

    // The opening handshake for an upgrade request already read.
    asio::awaitable<void> accept(const beast::http::request<beast::http::string_body>& req);

    framing_kind framing() const override { return framing_kind::message; }
    asio::awaitable<void> open() override { co_return; }
    asio::awaitable<std::string_view> read() override;
    asio::awaitable<void> write(const output_units& out) override;
    bool can_start_tls() const override { return false; }
    asio::awaitable<void> start_tls() override { co_return; }
    bool is_secure() const override;
    std::vector<sasl::channel_binding> channel_bindings() const override;
    std::string remote_address() const override { return address_; }
    std::chrono::steady_clock::time_point last_activity() const override { return *activity_; }
    void close() override;

  private:
    using ws_stream = beast::websocket::stream<Stream>;
    // Shared with a close in progress, which may outlive the session.
    std::shared_ptr<ws_stream> ws_;
    beast::flat_buffer buf_;
    // Set by pings and pongs; shared with the stream's control callback.
    std::shared_ptr<std::chrono::steady_clock::time_point> activity_;
    std::string address_;
    bool closing_ = false;
};

extern template class websocket_transport<beast::tcp_stream>;
extern template class websocket_transport<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace server
