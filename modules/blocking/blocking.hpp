#pragma once

#include "server/hooks/module_api.hpp"

namespace modules {

server::module_info blocking_module_info();

}  // namespace modules
