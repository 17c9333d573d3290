#include "server/http/http_service.hpp"

#include <boost/beast/http/field.hpp>

#include "server/http/bosh_endpoint.hpp"
#include "server/http/host_meta.hpp"

namespace server {

namespace {

http_response text_response(const http_request& req, http::status status, std::string text) {
    return make_response(req, status, "text/plain; charset=utf-8", std::move(text) + "\n");
}

}  // namespace

http_response make_response(const http_request& req, http::status status,
                            std::string_view content_type, std::string body) {
    http_response res{status, req.version()};
    res.set(http::field::server, "parley");
    res.set(http::field::content_type,
            boost::beast::string_view(content_type.data(), content_type.size()));
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    auto size = body.size();
    if (req.method() != http::verb::head) res.body() = std::move(body);
    res.content_length(size);
    return res;
}

http_service::http_service(stream_context& streams)
    : streams_(streams), bosh_(std::make_unique<bosh_endpoint>(streams)) {}

http_service::~http_service() = default;

std::optional<std::string> http_service::start() {
    return files_.load(config().web_root);
}

http_response http_service::respond(const http_request& req, bool secure) const {
    auto path = path_of(req.target());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        auto res = text_response(req, http::status::method_not_allowed, "method not allowed");
        res.set(http::field::allow, "GET, HEAD");
        return res;
    }
    if (path == bosh_path)
        return text_response(req, http::status::ok,
                             "this is an XMPP BOSH endpoint (XEP-0124, XEP-0206); POST a <body/>");
    if (path == websocket_path)
        return text_response(req, http::status::bad_request,
                             "this is an XMPP WebSocket endpoint (RFC 7395); connect with a "
                             "WebSocket client and the 'xmpp' subprotocol");
    if (path == "/.well-known/host-meta" || path == "/.well-known/host-meta.json") {
        auto host = sv(req[http::field::host]);
        if (!is_valid_host_header(host))
            return text_response(req, http::status::bad_request, "missing or bad Host header");
        endpoints e;
        e.websocket = std::string(secure ? "wss://" : "ws://") + std::string(host) +
                      std::string(websocket_path);
        e.bosh = std::string(secure ? "https://" : "http://") + std::string(host) +
                 std::string(bosh_path);
        bool json = path.ends_with(".json");
        auto res = json
                       ? make_response(req, http::status::ok, "application/json", host_meta_json(e))
                       : make_response(req, http::status::ok, "application/xrd+xml; charset=utf-8",
                                       host_meta_xrd(e));
        // XEP-0156 §3: pages on other origins must be able to read it.
        res.set(http::field::access_control_allow_origin, "*");
        return res;
    }
    if (auto file = files_.find(path)) {
        auto res = make_response(req, http::status::ok, file->content_type, file->body);
        res.set(http::field::cache_control, "no-cache");
        if (file->content_type.starts_with("text/html")) {
            // The page runs only its own scripts and talks only to this server, so
            // text that gets into it can never run as code.
            res.set("Content-Security-Policy",
                    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
            res.set("Referrer-Policy", "no-referrer");
        }
        return res;
    }
    if (!normalize_url_path(path)) return text_response(req, http::status::bad_request, "bad path");
    return text_response(req, http::status::not_found, "not found");
}

}  // namespace server
