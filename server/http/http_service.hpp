// What the HTTP listeners serve (XEP-0156, RFC 7395, XEP-0206): /xmpp-websocket
// upgrades to an XMPP client session, /http-bind carries BOSH sessions,
// /.well-known/host-meta(.json) names both endpoints,
// and everything else under / is the bundled web page. Requests are bounded in
// header and body size; a keep-alive connection waits for its next request only
// for http.idle_timeout; unknown paths get 404 and bad requests 400.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>

#include "server/http/static_files.hpp"
#include "server/stream/stream_context.hpp"

namespace server {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

inline constexpr std::string_view websocket_path = "/xmpp-websocket";

// Beast in Boost 1.74 speaks boost::string_view.
inline std::string_view sv(boost::beast::string_view s) {
    return {s.data(), s.size()};
}
inline std::string_view path_of(boost::beast::string_view target) {
    auto t = sv(target);
    return t.substr(0, t.find_first_of("?#"));
}

class bosh_endpoint;

class http_service {
  public:
    explicit http_service(stream_context& streams);
    ~http_service();

    // Reads the web page into memory; an error stops the start.
    std::optional<std::string> start();

    // Serves one connection accepted on an http listener, on `io`.
    void accept(asio::io_context& io, asio::ip::tcp::socket socket, bool tls);

    // The answer to every request but a WebSocket upgrade.
    http_response respond(const http_request& req, bool secure) const;

    stream_context& streams() { return streams_; }
    bosh_endpoint& bosh() { return *bosh_; }
    const http_config& config() const { return streams_.config.http; }

  private:
    stream_context& streams_;
    static_files files_;
    std::unique_ptr<bosh_endpoint> bosh_;
};

http_response make_response(const http_request& req, http::status status,
                            std::string_view content_type, std::string body);

}  // namespace server
