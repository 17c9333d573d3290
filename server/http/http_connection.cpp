// One connection on an HTTP listener: requests are read with bounded headers and
// bodies and answered in order (keep-alive), until the client goes quiet for
// http.idle_timeout or asks for the XMPP WebSocket, at which point the stream is
// handed to a websocket_transport under a c2s_session and this coroutine ends.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "server/http/bosh_endpoint.hpp"
#include "server/http/http_service.hpp"
#include "server/log.hpp"
#include "server/net/websocket_transport.hpp"
#include "server/stream/c2s_session.hpp"

namespace server {

namespace {

using asio::use_awaitable;
namespace websocket = beast::websocket;

constexpr auto tls_handshake_timeout = std::chrono::seconds(10);
constexpr auto websocket_handshake_timeout = std::chrono::seconds(10);
constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr std::size_t linger_max_bytes = 1 << 20;

// RFC 7395 §3.1: the client must offer the 'xmpp' subprotocol.
bool offers_xmpp(const http_request& req) {
    std::string_view list = sv(req[http::field::sec_websocket_protocol]);
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = list.substr(0, comma);
        auto b = item.find_first_not_of(" \t");
        auto e = item.find_last_not_of(" \t");
        if (b != std::string_view::npos && item.substr(b, e - b + 1) == "xmpp") return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

// The status for a request the parser refused; nullopt when the connection simply
// ended (closed, reset, timed out) and there is nobody to answer.
std::optional<http::status> status_for(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit) return http::status::payload_too_large;
    if (ec.category() == make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
        return http::status::bad_request;
    return std::nullopt;
}

template <class Stream>
asio::awaitable<bool> send(Stream& stream, http_response res, std::chrono::seconds timeout) {
    beast::get_lowest_layer(stream).expires_after(timeout);
    boost::system::error_code ec;
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    co_return !ec && res.keep_alive();
}

// After refusing a request that may still be arriving: stop sending, then read
// and drop what the client still sends for a moment, so that closing does not
// reset the connection and destroy the answer before the client read it.
template <class Stream>
asio::awaitable<void> linger_close(Stream& stream) {
    auto& tcp = beast::get_lowest_layer(stream);
    boost::system::error_code ec;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    tcp.expires_after(linger_timeout);
    char drop[4096];
    std::size_t dropped = 0;
    while (!ec && dropped < linger_max_bytes)
        dropped += co_await tcp.async_read_some(asio::buffer(drop),
                                                asio::redirect_error(use_awaitable, ec));
    tcp.close();
}

// The first bytes of a request body the parser refused as too large: enough for
// the BOSH <body> start tag (and its sid), read for at most linger_timeout.
template <class Stream>
asio::awaitable<std::string> body_start(Stream& stream, beast::flat_buffer& buffer,
                                        std::string start) {
    constexpr std::size_t enough = 4096;
    start += beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    beast::get_lowest_layer(stream).expires_after(linger_timeout);
    boost::system::error_code ec;
    char chunk[enough];
    while (!ec && start.size() < enough && start.find('>') == std::string::npos) {
        auto n = co_await stream.async_read_some(asio::buffer(chunk, enough - start.size()),
                                                 asio::redirect_error(use_awaitable, ec));
        start.append(chunk, n);
    }
    co_return start;
}

template <class Stream>
asio::awaitable<void> upgrade(http_service& svc, asio::io_context& io, Stream stream,
                              const http_request& req, std::string address) {
    const auto& cfg = svc.streams().config;
    websocket_options o{cfg.limits.max_stanza_bytes, websocket_handshake_timeout,
                        cfg.http.websocket_keepalive, cfg.http.permessage_deflate};
    auto t = std::make_unique<websocket_transport<Stream>>(std::move(stream), address, o);
    co_await t->accept(req);
    log::debug("websocket", address, ": XMPP WebSocket open");
    std::make_shared<c2s_session>(svc.streams(), io, std::move(t))->start();
}

// `stream` and `address` live in run()'s frame, which outlives this call.
template <class Stream>
asio::awaitable<void> serve(http_service& svc, asio::io_context& io, Stream& stream, bool secure,
                            const std::string& address) {
    const auto& cfg = svc.config();
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(std::uint32_t(cfg.max_header_bytes));
        parser.body_limit(cfg.max_body_bytes);
        beast::get_lowest_layer(stream).expires_after(cfg.idle_timeout);
        boost::system::error_code ec;
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit && parser.get().method() == http::verb::post &&
            path_of(parser.get().target()) == bosh_path) {
            // A BOSH client learns from a terminate body, and its session ends.
            auto start = co_await body_start(stream, buffer, parser.get().body());
            co_await send(stream,
                          co_await svc.bosh().oversized(parser.get(), start, io, secure, address),
                          cfg.idle_timeout);
            co_return co_await linger_close(stream);
        }
        if (ec) {
            auto status = status_for(ec);
            if (!status) co_return;
            log::debug("http", address, ": bad request: ", ec.message());
            http_request bad;
            bad.version(11);
            bad.keep_alive(false);
            co_await send(stream, make_response(bad, *status, "text/plain", ec.message() + "\n"),
                          cfg.idle_timeout);
            co_return co_await linger_close(stream);
        }
        auto req = parser.release();
        auto path = path_of(req.target());
        if (websocket::is_upgrade(req) && path == websocket_path) {
            if (offers_xmpp(req))
                co_return co_await upgrade(svc, io, std::move(stream), req, address);
            log::debug("http", address, ": WebSocket upgrade without the xmpp subprotocol");
            auto res = make_response(req, http::status::bad_request, "text/plain",
                                     "XMPP over WebSocket needs Sec-WebSocket-Protocol: xmpp "
                                     "(RFC 7395 3.1)\n");
            res.keep_alive(false);
            co_await send(stream, std::move(res), cfg.idle_timeout);
            co_return co_await linger_close(stream);
        }
        if (path == bosh_path && req.method() == http::verb::post) {
            auto res = co_await svc.bosh().post(req, io, secure, address);
            if (!co_await send(stream, std::move(res), cfg.idle_timeout)) co_return;
            continue;
        }
        if (path == bosh_path && req.method() == http::verb::options) {
            if (!co_await send(stream, svc.bosh().preflight(req), cfg.idle_timeout)) co_return;
            continue;
        }
        if (!co_await send(stream, svc.respond(req, secure), cfg.idle_timeout)) co_return;
    }
}

template <class Stream>
asio::awaitable<void> run(http_service& svc, asio::io_context& io, Stream stream, bool secure,
                          std::string address) {
    try {
        if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
            beast::get_lowest_layer(stream).expires_after(tls_handshake_timeout);
            co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
        }
        co_await serve(svc, io, stream, secure, address);
    } catch (const std::exception& e) {
        log::debug("http", address, ": connection ended: ", e.what());
    }
}

}  // namespace

void http_service::accept(asio::io_context& io, asio::ip::tcp::socket socket, bool tls) {
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    std::string address = ec ? "?" : ep.address().to_string();
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (tls) {
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), streams_.tls);
        asio::co_spawn(io, run(*this, io, std::move(stream), true, std::move(address)),
                       asio::detached);
    } else {
        beast::tcp_stream stream(std::move(socket));
        asio::co_spawn(io, run(*this, io, std::move(stream), false, std::move(address)),
                       asio::detached);
    }
}

}  // namespace server
