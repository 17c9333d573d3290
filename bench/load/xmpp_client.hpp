// One client connection speaking real c2s XMPP: TCP from a chosen 127.0.0.x
// source address, STARTTLS (or direct TLS), SASL SCRAM-SHA-1 or PLAIN, resource
// binding, initial presence. Login is complete when a ping sent after the
// presence has been answered, so the server has processed everything before the
// scenario counts it.
//
// After login the client stops parsing XML: scenarios see raw bytes, which keeps
// the generator much cheaper than the server it loads. connect_plain() gives the
// same client with no XMPP at all, for the floor scenario's relay.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/client_channel.hpp"
#include "bench/load/scram_client.hpp"
#include "xml/stream_parser.hpp"

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

enum class tls_mode { starttls, direct, none };

struct client_options {
    tcp::endpoint server;
    std::string domain = "localhost";
    std::vector<asio::ip::address> sources;  // spread over these, round robin
    tls_mode tls = tls_mode::starttls;
    bool plain = false;  // SASL PLAIN instead of SCRAM-SHA-1
    bool tls12 = false;  // TLS 1.2 at most: OpenSSL keeps the connection (client_channel.hpp)
    std::string password = "bench";
    // Login sends initial presence before its closing ping; without it the
    // scenario sends its own (the presence scenario stamps it).
    bool initial_presence = true;
    std::chrono::milliseconds login_timeout{30000};
};

class xmpp_client : public std::enable_shared_from_this<xmpp_client> {
  public:
    xmpp_client(asio::io_context& io, asio::ssl::context& tls, const client_options& opts,
                scram_keys_cache& keys);

    // Logs in fully; returns an empty string on success, else what went wrong.
    asio::awaitable<std::string> login(std::string user, std::string resource,
                                       std::size_t source_index);
    const std::string& jid() const { return jid_; }
    // Only the TCP connection, no stream on it (the floor scenario's relay
    // speaks no XMPP); read_loop and send then work as after login. Returns an
    // empty string once connected, else what went wrong.
    asio::awaitable<std::string> connect_plain(std::size_t source_index);
    // XEP-0077 in-band registration of `user` (for servers whose admin tools are
    // too slow to create thousands of accounts); then closes the stream.
    asio::awaitable<std::string> register_account(std::string user, std::size_t source_index);

    // After login: hands every received chunk to on_bytes until the stream ends;
    // when on_element is set (before read_loop starts), parses them instead and
    // hands over every top-level element (setup phases, not measurements).
    asio::awaitable<void> read_loop();
    std::function<void(std::string_view)> on_bytes;
    std::function<void(const xml::element&)> on_element;

    // Queued; see client_channel::write().
    void send(std::string_view bytes);
    // Sends </stream:stream> and closes the socket if the server has not ended
    // the stream within `grace` (read_loop then returns).
    void close(std::chrono::milliseconds grace);
    void abort();

  private:
    asio::awaitable<void> open_socket(std::size_t source_index);
    asio::awaitable<xml::element_ptr> connect(std::size_t source_index);
    asio::awaitable<xml::element_ptr> next_element();
    asio::awaitable<xml::element_ptr> open_stream();
    asio::awaitable<void> authenticate(const xml::element& features, const std::string& user);
    void new_parser();
    void arm(std::chrono::milliseconds after);

    asio::ssl::context& tls_ctx_;
    const client_options& opts_;
    scram_keys_cache& keys_;
    std::shared_ptr<client_channel> channel_;
    asio::steady_timer deadline_;
    std::unique_ptr<xml::stream_parser> parser_;
    std::deque<xml::element_ptr> elements_;
    std::string parse_error_;
    bool stream_open_ = false;
    std::string jid_;
};

}  // namespace bench
