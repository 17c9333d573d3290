// Commands that need the running server: status, stop, connected_users, and the
// account commands run on its storage threads.
#pragma once

#include "server/admin/registry.hpp"

namespace server {
class xmpp_server;
}

namespace server::admin {

void add_core_commands(registry& r, xmpp_server& server);

}  // namespace server::admin
