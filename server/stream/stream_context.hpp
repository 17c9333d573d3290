// What a client stream needs from the rest of the server, passed by reference so
// the stream code does not know the server class.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <functional>

#include "server/config.hpp"
#include "server/hooks/event_bus.hpp"
#include "server/router/router.hpp"
#include "server/storage_executor.hpp"
#include "server/stream/auth_throttle.hpp"

namespace server {

class c2s_session;

struct stream_context {
    const server::config& config;
    server::router& router;
    const event_bus& events;
    storage_executor& storage;
    boost::asio::ssl::context& tls;
    auth_throttle& throttle;
    // Live-session registry for shutdown and status (set by the server).
    std::function<void(const std::shared_ptr<c2s_session>&)> on_session_start;
    std::function<void(c2s_session*)> on_session_end;
};

}  // namespace server
