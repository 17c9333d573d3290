// Commands that need the running server: status, stop, connected_users, and the
// account commands run on its storage threads.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

#include "server/admin/registry.hpp"

namespace server {
class xmpp_server;
}

namespace server::admin {

void add_core_commands(registry& r, xmpp_server& server);

// The commands only a running server can answer (add_core_commands adds them);
// parleyctl tells "not running" apart from "no such command" with this.
inline constexpr std::array<std::string_view, 3> live_commands = {"status", "stop",
                                                                  "connected_users"};
inline bool is_live_command(std::string_view name) {
    return std::find(live_commands.begin(), live_commands.end(), name) != live_commands.end();
}

}  // namespace server::admin
