// Serialization with correct escaping and namespace declarations.
//
// Elements are written relative to a "context" default namespace: a stanza in
// jabber:client written into a c2s stream needs no xmlns, a child in another
// namespace gets xmlns='...'. Elements in the streams namespace are written with
// the 'stream:' prefix declared on the stream header.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace xml {

// Appends the serialization of `el` to `out`.
void write(const element& el, std::string& out, std::string_view context_ns);
std::string to_string(const element& el, std::string_view context_ns = {});

std::string escape_text(std::string_view s);
std::string escape_attr(std::string_view s);

struct stream_header {
    std::string from;
    std::string to;
    std::string id;
    std::string version = "1.0";
    std::string lang = "en";
    std::string content_ns = "jabber:client";
};
// "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream=...>"
std::string open_stream(const stream_header& h);
inline constexpr std::string_view close_stream = "</stream:stream>";

}  // namespace xml
