#pragma once

#include "server/hooks/module_api.hpp"

namespace modules {

server::module_info version_module_info();

}  // namespace modules
