// /http-bind: BOSH (XEP-0124) requests for XMPP (XEP-0206). Each POST names its
// session by 'sid' (or creates one) and its place in it by 'rid'; the request is
// handed to that session on the session's own executor, and this connection
// waits, without a thread, for the answer. Sessions are found by sid here. A
// session created over HTTPS is continued only over HTTPS: post() throws for a
// plain HTTP request naming it, and the connection ends unanswered.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/http/http_service.hpp"

namespace server {

class bosh_session;

inline constexpr std::string_view bosh_path = "/http-bind";

class bosh_endpoint {
  public:
    explicit bosh_endpoint(stream_context& streams) : streams_(streams) {}

    asio::awaitable<http_response> post(const http_request& req, asio::io_context& io, bool secure,
                                        const std::string& address);
    // A POST whose body is over http.max_body_bytes, of which `start` is what
    // arrived first: when it names a session, that session ends with
    // policy-violation and this is its terminate response. Not keep-alive.
    asio::awaitable<http_response> oversized(const http_request& req, std::string_view start,
                                             asio::io_context& io, bool secure,
                                             const std::string& address);
    // CORS preflight (OPTIONS) for pages on allowed origins.
    http_response preflight(const http_request& req) const;

  private:
    std::shared_ptr<bosh_session> find(const std::string& sid);
    void forget(const std::string& sid);
    void add_cors(const http_request& req, http_response& res) const;

    stream_context& streams_;
    std::mutex mu_;
    std::unordered_map<std::string, std::weak_ptr<bosh_session>> sessions_;
};

}  // namespace server
