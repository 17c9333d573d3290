#include "server/net/websocket_transport.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "server/log.hpp"
#include "server/net/tcp_transport.hpp"

namespace server {

namespace websocket = beast::websocket;
using asio::use_awaitable;

template <class Stream>
websocket_transport<Stream>::websocket_transport(Stream stream, std::string remote_address,
                                                 const websocket_options& o)
    : ws_(std::make_shared<ws_stream>(std::move(stream))),
      activity_(std::make_shared<std::chrono::steady_clock::time_point>()),
      address_(std::move(remote_address)) {
    // The WebSocket layer keeps its own time from here on (Beast: the TCP
    // stream's timer must be off when the websocket timeout is used).
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = o.handshake_timeout;
    t.idle_timeout = o.keepalive;
    t.keep_alive_pings = true;
    ws_->set_option(t);
    ws_->read_message_max(o.max_message_bytes);
    if (o.permessage_deflate) {
        websocket::permessage_deflate pmd;
        pmd.server_enable = true;
        ws_->set_option(pmd);
    }
    ws_->control_callback([activity = activity_](websocket::frame_type kind, beast::string_view) {
        if (kind != websocket::frame_type::close) *activity = std::chrono::steady_clock::now();
    });
    ws_->set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        // RFC 7395 §3.1: the server agrees to the 'xmpp' subprotocol.
        res.set(beast::http::field::sec_websocket_protocol, "xmpp");
        res.set(beast::http::field::server, "parley");
    }));
}

template <class Stream>
asio::awaitable<void> websocket_transport<Stream>::accept(
    const beast::http::request<beast::http::string_body>& req) {
    co_await ws_->async_accept(req, use_awaitable);
}

template <class Stream>
asio::awaitable<std::string_view> websocket_transport<Stream>::read() {
    buf_.clear();
    co_await ws_->async_read(buf_, use_awaitable);
    if (!ws_->got_text()) {
        // RFC 7395 §3.2: XMPP messages are text; a binary one ends the connection
        // with 1003 (RFC 6455 §7.4.1: a type of data it cannot accept).
        log::info("websocket", address_, ": binary message, closing with 1003");
        closing_ = true;
        co_await ws_->async_close(
            websocket::close_reason(websocket::close_code::unknown_data, "text messages only"),
            use_awaitable);
        throw std::runtime_error("binary WebSocket message");
    }
    auto data = buf_.cdata();
    co_return std::string_view(static_cast<const char*>(data.data()), data.size());
}

template <class Stream>
asio::awaitable<void> websocket_transport<Stream>::write(const output_units& out) {
    // RFC 7395 §3.3.3: every unit (an element, <open/>, <close/>) is one message.
    ws_->text(true);
    std::size_t begin = 0;
    for (auto end : out.ends) {
        co_await ws_->async_write(asio::buffer(out.bytes.data() + begin, end - begin),
                                  use_awaitable);
        begin = end;
    }
}

template <class Stream>
bool websocket_transport<Stream>::is_secure() const {
    return !std::is_same_v<Stream, beast::tcp_stream>;
}

template <class Stream>
std::vector<sasl::channel_binding> websocket_transport<Stream>::channel_bindings() const {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        return {};
    } else {
        return tls_channel_bindings(const_cast<Stream&>(ws_->next_layer()).native_handle());
    }
}

template <class Stream>
void websocket_transport<Stream>::close() {
    // RFC 7395 §3.6: once <close/> has been exchanged (or a stream error sent) the
    // server closes the WebSocket connection. The close handshake is bounded by
    // the handshake timeout; a read in progress ends when it completes.
    if (closing_) return;
    closing_ = true;
    asio::co_spawn(
        ws_->get_executor(),
        [ws = ws_]() -> asio::awaitable<void> {
            try {
                co_await ws->async_close(websocket::close_code::normal, use_awaitable);
            } catch (const std::exception&) {
                // Already gone: nothing left to close.
            }
        },
        asio::detached);
}

template class websocket_transport<beast::tcp_stream>;
template class websocket_transport<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace server
