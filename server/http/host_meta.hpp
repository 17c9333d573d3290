// XEP-0156 §3: web clients find the connection endpoints of a domain in
// /.well-known/host-meta (XRD, RFC 6415) or host-meta.json (JRD, RFC 7033).
#pragma once

#include <string>
#include <string_view>

namespace server {

struct endpoints {
    std::string websocket;  // "wss://example.com/xmpp-websocket"; empty = none
    std::string bosh;       // "https://example.com/http-bind"; empty = none
};

std::string host_meta_xrd(const endpoints& e);
std::string host_meta_json(const endpoints& e);

// A Host header value we are willing to put into a URL: a DNS name, IPv4 or a
// bracketed IPv6 literal, with an optional port.
bool is_valid_host_header(std::string_view host);

}  // namespace server
