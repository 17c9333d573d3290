#include "server/http/host_meta.hpp"

#include <cctype>

#include "xml/writer.hpp"

namespace server {

namespace {
constexpr std::string_view rel_websocket = "urn:xmpp:alt-connections:websocket";
constexpr std::string_view rel_bosh = "urn:xmpp:alt-connections:xbosh";

// The values are URLs built from a checked Host header; JSON escaping of the
// two characters that could matter keeps it correct whatever they hold.
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}
}  // namespace

std::string host_meta_xrd(const endpoints& e) {
    std::string out =
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n";
    auto link = [&](std::string_view rel, const std::string& href) {
        if (href.empty()) return;
        out += "  <Link rel='";
        out += rel;
        out += "' href='" + xml::escape_attr(href) + "'/>\n";
    };
    link(rel_websocket, e.websocket);
    link(rel_bosh, e.bosh);
    return out + "</XRD>\n";
}

std::string host_meta_json(const endpoints& e) {
    std::string links;
    auto link = [&](std::string_view rel, const std::string& href) {
        if (href.empty()) return;
        if (!links.empty()) links += ",";
        links += "{\"rel\":" + json_string(rel) + ",\"href\":" + json_string(href) + "}";
    };
    link(rel_websocket, e.websocket);
    link(rel_bosh, e.bosh);
    return "{\"links\":[" + links + "]}\n";
}

bool is_valid_host_header(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    for (char c : host) {
        auto u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

}  // namespace server
