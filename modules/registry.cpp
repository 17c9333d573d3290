// The one list of built-in modules. The server core knows them only through this
// function; a module missing from parley.yml runs with its defaults.
#include "modules/blocking/blocking.hpp"
#include "modules/disco/disco.hpp"
#include "modules/offline/offline.hpp"
#include "modules/ping/ping.hpp"
#include "modules/presence/presence.hpp"
#include "modules/roster/roster.hpp"
#include "modules/time/time.hpp"
#include "modules/version/version.hpp"
#include "server/hooks/module_api.hpp"

namespace server {

std::vector<module_info> builtin_modules() {
    // One per line, in start order (it matters only for hooks of equal priority).
    // clang-format off
    return {
        modules::disco_module_info(),
        modules::ping_module_info(),
        modules::roster_module_info(),
        modules::presence_module_info(),
        modules::blocking_module_info(),
        modules::version_module_info(),
        modules::time_module_info(),
        modules::offline_module_info(),
    };
    // clang-format on
}

}  // namespace server
