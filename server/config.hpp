// Typed configuration, read from parley.yml. Loading validates everything: an
// unknown key or a bad value is an error that names the key and its line, and
// the server refuses to start.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace server {

enum class tls_mode {
    none,      // plain TCP, no STARTTLS offered (tests and local debugging only)
    starttls,  // plain TCP, STARTTLS offered (and required unless require_tls: false)
    direct,    // TLS from the first byte (XEP-0368), ALPN "xmpp-client"
};

enum class listener_kind {
    c2s,   // XMPP client streams over TCP (RFC 6120)
    http,  // web clients: WebSocket (RFC 7395), host-meta (XEP-0156), the web page
};

struct listener_config {
    std::string name;  // for logs, e.g. "c2s", "c2s-tls"
    listener_kind kind = listener_kind::c2s;
    std::string address = "127.0.0.1";
    std::uint16_t port = 5222;          // 0 = let the OS choose; the chosen port is logged
    tls_mode tls = tls_mode::starttls;  // http listeners: none or direct (HTTPS)
};

struct tls_config {
    std::string certificate;  // PEM path; empty = self-signed generated in data_dir
    std::string key;          // PEM path; empty = same file as certificate
    bool require_tls = true;  // c2s must negotiate TLS before SASL
};

struct limits_config {
    std::size_t max_stanza_bytes = 256 * 1024;
    std::size_t max_depth = 64;
    std::size_t max_attributes = 64;
    std::chrono::seconds handshake_timeout{30};  // from connect to bound resource
    std::chrono::seconds idle_timeout{600};      // no bytes from the client at all
    std::size_t max_send_queue_bytes = 1024 * 1024;
    std::size_t max_resources_per_account = 16;
};

// The HTTP listeners (kind: http).
struct http_config {
    std::string web_root = "web";  // static files served at /; empty = none
    std::size_t max_header_bytes = 8 * 1024;
    // Default: twice limits.max_stanza_bytes, so a BOSH body holds the largest
    // stanza with room to spare.
    std::size_t max_body_bytes = 512 * 1024;
    std::chrono::seconds idle_timeout{60};  // a keep-alive connection with no request
    // WebSocket: a ping after half of this without traffic, closed after all of it.
    std::chrono::seconds websocket_keepalive{60};
    // RFC 7692 compression. Off: compressing attacker-chosen text together with
    // secrets in one context leaks them (CRIME/BREACH), and it costs memory per
    // connection.
    bool permessage_deflate = false;
    // BOSH (XEP-0124): the longest a request is held, and how long a session may
    // go without any request before it ends.
    std::chrono::seconds bosh_max_wait{60};
    std::chrono::seconds bosh_inactivity{60};
    // Origins whose pages may use BOSH across origins (CORS); "*" for any. The
    // server's own page needs none.
    std::vector<std::string> cors_origins;
};

struct sasl_config {
    // Empty = every mechanism the server supports.
    std::vector<std::string> mechanisms;
    std::uint32_t scram_iterations = 4096;
    // Failed authentications from one address before responses are slowed down.
    unsigned failures_before_delay = 3;
};

struct module_config {
    bool enabled = true;
    int line = 0;  // where its entry starts in the file, for module option errors
    // Scalar options as text ("true", "42", "name"); modules parse and validate.
    std::map<std::string, std::string> options;
};

enum class log_level { debug, info, warn, error };

struct config {
    std::vector<std::string> hosts{"localhost"};  // prepared domain names
    std::string data_dir = "data";
    log_level log = log_level::info;
    // default: c2s 5222 starttls + 5223 direct, http 5280 + https 5443
    std::vector<listener_config> listeners;
    tls_config tls;
    limits_config limits;
    http_config http;
    sasl_config sasl;
    std::map<std::string, module_config> modules;  // name -> options
    std::string admin_socket;                      // default: <data_dir>/parleyctl.sock
    unsigned io_threads = 0;                       // 0 = one per core
    unsigned storage_threads = 2;
    std::string source;  // file it was read from, for messages

    std::string database_path() const;      // <data_dir>/parley.db
    std::string admin_socket_path() const;  // admin_socket or default
};

struct config_result {
    std::optional<server::config> config;
    std::string error;  // "parley.yml:12: listeners[0].tls: expected one of none, starttls, direct"
};

config_result load_config(const std::string& path);
config_result parse_config(const std::string& yaml_text, const std::string& source_name);

// The names of the modules the server knows, for validating the 'modules:' map.
// Set by the module registry before loading (the config code names no module).
void set_known_modules(std::vector<std::string> names);

}  // namespace server
