// parleyctl commands on a user's offline queue (ejabberdctl-style names). They
// need only the database, so they work with the server running (over the admin
// socket, on a storage thread) and stopped (parleyctl on the database).
#pragma once

#include "server/admin/registry.hpp"
#include "server/config.hpp"

namespace modules {

// Declares get_offline_count, get_offline_messages and delete_offline_messages.
void add_offline_commands(server::admin::registry& r, const server::config& cfg,
                          server::admin::storage_runner run);

}  // namespace modules
