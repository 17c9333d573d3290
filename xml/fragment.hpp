// One element from its text, for data stored as XML (roster items, offline
// messages). Uses the same restricted parser as streams.
#pragma once

#include <string_view>

#include "xml/element.hpp"

namespace xml {

// Null when the text is not exactly one well-formed element. `content_ns` is the
// default namespace the text was written in (xml::to_string's context).
element_ptr parse_fragment(std::string_view text, std::string_view content_ns = "jabber:client");

}  // namespace xml
