#include "xml/fragment.hpp"

#include "xml/stream_parser.hpp"
#include "xml/writer.hpp"

namespace xml {

element_ptr parse_fragment(std::string_view text, std::string_view content_ns) {
    element_ptr got;
    bool failed = false;
    int count = 0;
    stream_parser p({.on_open = [](const element&) {},
                     .on_element =
                         [&](element_ptr el) {
                             got = std::move(el);
                             ++count;
                         },
                     .on_close = [] {},
                     .on_error = [&](parse_error, std::string) { failed = true; }});
    std::string open = "<stream:stream xmlns='" + escape_attr(content_ns) +
                       "' xmlns:stream='http://etherx.jabber.org/streams'>";
    if (!p.feed(open) || !p.feed(text) || failed || count != 1) return nullptr;
    return got;
}

}  // namespace xml
