#pragma once

#include <memory>

#include "server/hooks/module_api.hpp"

namespace modules {

class roster_book;

server::module_info roster_module_info();
// The one roster book of the server (the presence module uses it too).
std::shared_ptr<roster_book> roster_book_of(server::module_context& ctx);

}  // namespace modules
