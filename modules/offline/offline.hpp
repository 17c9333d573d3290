#pragma once

#include "server/hooks/module_api.hpp"

namespace modules {

server::module_info offline_module_info();

}  // namespace modules
