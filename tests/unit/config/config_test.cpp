// parley.yml: defaults, the documented sample, and an error naming the line for
// every kind of mistake.
#include "server/config.hpp"
#include "server/hooks/module_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace server {
namespace {

config_result parse(const std::string& text) {
    return parse_config(text, "/etc/parley/parley.yml");
}

std::string error_of(const std::string& text) {
    auto r = parse(text);
    EXPECT_FALSE(r.config) << "accepted:\n" << text;
    return r.error;
}

TEST(config_test, empty_file_gives_defaults) {
    auto r = parse("");
    ASSERT_TRUE(r.config) << r.error;
    const auto& c = *r.config;
    EXPECT_EQ(c.hosts, std::vector<std::string>{"localhost"});
    ASSERT_EQ(c.listeners.size(), 4u);
    EXPECT_EQ(c.listeners[0].port, 5222);
    EXPECT_EQ(c.listeners[0].tls, tls_mode::starttls);
    EXPECT_EQ(c.listeners[1].port, 5223);
    EXPECT_EQ(c.listeners[1].tls, tls_mode::direct);
    EXPECT_EQ(c.listeners[2].kind, listener_kind::http);
    EXPECT_EQ(c.listeners[2].port, 5280);
    EXPECT_EQ(c.listeners[2].tls, tls_mode::none);
    EXPECT_EQ(c.listeners[3].kind, listener_kind::http);
    EXPECT_EQ(c.listeners[3].port, 5443);
    EXPECT_EQ(c.listeners[3].tls, tls_mode::direct);
    EXPECT_EQ(c.http.web_root, "/etc/parley/web");
    EXPECT_FALSE(c.http.permessage_deflate);
    EXPECT_TRUE(c.tls.require_tls);
    EXPECT_EQ(c.limits.max_stanza_bytes, 256u * 1024);
    EXPECT_EQ(c.http.max_body_bytes, 512u * 1024);  // twice the stanza limit
    EXPECT_EQ(c.data_dir, "/etc/parley/data");
    EXPECT_EQ(c.database_path(), "/etc/parley/data/parley.db");
    EXPECT_EQ(c.admin_socket_path(), "/etc/parley/data/parleyctl.sock");
}

TEST(config_test, documented_sample_loads) {
    auto sample =
        std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "conf" / "parley.yml";
    std::vector<std::string> names;
    for (const auto& m : builtin_modules()) names.push_back(m.name);
    set_known_modules(names);
    auto r = load_config(sample.string());
    set_known_modules({});
    ASSERT_TRUE(r.config) << r.error;
    EXPECT_EQ(r.config->modules.at("version").options.at("show_os"), "false");
    EXPECT_EQ(r.config->modules.at("offline").options.at("max_messages"), "1000");
}

TEST(config_test, values_are_read_and_paths_resolved) {
    auto r = parse(
        "hosts: [Example.COM., chat.example.org]\n"
        "data_dir: /var/lib/parley\n"
        "log_level: debug\n"
        "listeners:\n"
        "  - {name: c2s, port: 0, address: '::1', tls: none}\n"
        "tls: {certificate: certs/x.pem, require_tls: false}\n"
        "limits: {max_stanza_bytes: 65536, idle_timeout: 120}\n"
        "sasl: {mechanisms: [SCRAM-SHA-256-PLUS, PLAIN], scram_iterations: 10000}\n"
        "modules: {ping: false, version: {show_os: true}}\n"
        "admin_socket: run/ctl.sock\n");
    ASSERT_TRUE(r.config) << r.error;
    const auto& c = *r.config;
    EXPECT_EQ(c.hosts, (std::vector<std::string>{"example.com", "chat.example.org"}));
    EXPECT_EQ(c.data_dir, "/var/lib/parley");
    EXPECT_EQ(c.log, log_level::debug);
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "::1");
    EXPECT_EQ(c.listeners[0].port, 0);
    EXPECT_EQ(c.listeners[0].tls, tls_mode::none);
    EXPECT_EQ(c.tls.certificate, "/etc/parley/certs/x.pem");
    EXPECT_FALSE(c.tls.require_tls);
    EXPECT_EQ(c.limits.max_stanza_bytes, 65536u);
    EXPECT_EQ(c.limits.idle_timeout, std::chrono::seconds(120));
    EXPECT_EQ(c.sasl.mechanisms, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "PLAIN"}));
    EXPECT_EQ(c.sasl.scram_iterations, 10000u);
    EXPECT_FALSE(c.modules.at("ping").enabled);
    EXPECT_TRUE(c.modules.at("version").enabled);
    EXPECT_EQ(c.modules.at("version").options.at("show_os"), "true");
    EXPECT_EQ(c.modules.at("version").line, 9);
    EXPECT_EQ(c.admin_socket_path(), "/etc/parley/run/ctl.sock");
}

TEST(config_test, unknown_keys_name_the_key_and_line) {
    EXPECT_EQ(error_of("hosts: [localhost]\nlisetners: []\n").substr(0, 45),
              "parley.yml:2: unknown key 'lisetners' (expect");
    auto nested = error_of("limits:\n  max_stanza_bytes: 1024\n  max_sizes: 3\n");
    EXPECT_NE(nested.find("parley.yml:3: unknown key 'limits.max_sizes'"), std::string::npos)
        << nested;
    auto in_list = error_of("listeners:\n  - port: 1\n    prot: 2\n");
    EXPECT_NE(in_list.find("parley.yml:3: unknown key 'listeners[0].prot'"), std::string::npos)
        << in_list;
}

TEST(config_test, bad_values_name_the_key_and_line) {
    auto e = error_of("limits:\n  max_stanza_bytes: lots\n");
    EXPECT_NE(e.find("parley.yml:2: limits.max_stanza_bytes: expected an integer between 1024"),
              std::string::npos)
        << e;
    e = error_of("listeners:\n  - port: 70000\n");
    EXPECT_NE(e.find("parley.yml:2: listeners[0].port"), std::string::npos) << e;
    e = error_of("listeners:\n  - tls: sometimes\n");
    EXPECT_NE(e.find("expected one of none, starttls, direct, got 'sometimes'"), std::string::npos)
        << e;
    e = error_of("listeners:\n  - address: localhost\n");
    EXPECT_NE(e.find("listeners[0].address: expected an IPv4 or IPv6 address"), std::string::npos)
        << e;
    e = error_of("log_level: loud\n");
    EXPECT_NE(e.find("parley.yml:1: log_level"), std::string::npos) << e;
    e = error_of("tls: {require_tls: maybe}\n");
    EXPECT_NE(e.find("tls.require_tls: expected true or false"), std::string::npos) << e;
    e = error_of("sasl: {mechanisms: [DIGEST-MD5]}\n");
    EXPECT_NE(e.find("unknown mechanism 'DIGEST-MD5'"), std::string::npos) << e;
    e = error_of("hosts: ['bad host']\n");
    EXPECT_NE(e.find("is not a valid host name"), std::string::npos) << e;
    e = error_of("hosts: []\n");
    EXPECT_NE(e.find("hosts: expected a non-empty list"), std::string::npos) << e;
}

TEST(config_test, wrong_shapes_are_errors) {
    auto e = error_of("listeners: {port: 5222}\n");
    EXPECT_NE(e.find("parley.yml:1: listeners: expected a list"), std::string::npos) << e;
    e = error_of("limits: 5\n");
    EXPECT_NE(e.find("limits: expected a map"), std::string::npos) << e;
    e = error_of("data_dir: [a, b]\n");
    EXPECT_NE(e.find("data_dir: expected a single value"), std::string::npos) << e;
}

TEST(config_test, duplicate_listener_ports_are_refused) {
    auto e = error_of("listeners:\n  - {port: 5222}\n  - {port: 5222, tls: direct}\n");
    EXPECT_NE(e.find("parley.yml:3: listeners[1]: port 5222 on 127.0.0.1 is used by another"),
              std::string::npos)
        << e;
}

TEST(config_test, http_listeners_and_options) {
    auto r = parse(
        "listeners:\n"
        "  - {kind: http, port: 0}\n"
        "  - {kind: http, port: 0, tls: direct}\n"
        "http: {web_root: /srv/web, max_header_bytes: 4096, max_body_bytes: 8192,\n"
        "       idle_timeout: 5, websocket_keepalive: 20, permessage_deflate: true,\n"
        "       bosh_max_wait: 30, bosh_inactivity: 90,\n"
        "       cors_origins: ['https://chat.example.com', 'http://localhost:8080']}\n");
    ASSERT_TRUE(r.config) << r.error;
    const auto& c = *r.config;
    ASSERT_EQ(c.listeners.size(), 2u);
    EXPECT_EQ(c.listeners[0].name, "http");
    EXPECT_EQ(c.listeners[0].tls, tls_mode::none);
    EXPECT_EQ(c.listeners[1].name, "https");
    EXPECT_EQ(c.http.web_root, "/srv/web");
    EXPECT_EQ(c.http.max_header_bytes, 4096u);
    EXPECT_EQ(c.http.max_body_bytes, 8192u);
    EXPECT_EQ(c.http.idle_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c.http.websocket_keepalive, std::chrono::seconds(20));
    EXPECT_TRUE(c.http.permessage_deflate);
    EXPECT_EQ(c.http.bosh_max_wait, std::chrono::seconds(30));
    EXPECT_EQ(c.http.bosh_inactivity, std::chrono::seconds(90));
    EXPECT_EQ(c.http.cors_origins,
              (std::vector<std::string>{"https://chat.example.com", "http://localhost:8080"}));
}

TEST(config_test, http_body_limit_follows_the_stanza_limit_unless_set) {
    // A BOSH body must hold the largest stanza a client may send.
    auto r = parse("limits: {max_stanza_bytes: 1048576}\nhttp: {web_root: web}\n");
    ASSERT_TRUE(r.config) << r.error;
    EXPECT_EQ(r.config->http.max_body_bytes, 2u * 1048576);
    r = parse("http: {max_body_bytes: 300000}\nlimits: {max_stanza_bytes: 1048576}\n");
    ASSERT_TRUE(r.config) << r.error;
    EXPECT_EQ(r.config->http.max_body_bytes, 300000u);
}

TEST(config_test, http_mistakes_name_key_and_line) {
    auto e = error_of("listeners:\n  - {kind: http, tls: starttls}\n");
    EXPECT_NE(e.find("parley.yml:2: listeners[0].tls: an http listener takes none or direct"),
              std::string::npos)
        << e;
    e = error_of("listeners:\n  - {kind: gopher}\n");
    EXPECT_NE(e.find("listeners[0].kind: expected one of c2s, http, got 'gopher'"),
              std::string::npos)
        << e;
    e = error_of("http:\n  web_root: web\n  cors: yes\n");
    EXPECT_NE(e.find("parley.yml:3: unknown key 'http.cors'"), std::string::npos) << e;
    e = error_of("http:\n  max_body_bytes: 12\n");
    EXPECT_NE(e.find("parley.yml:2: http.max_body_bytes: expected an integer between 1024"),
              std::string::npos)
        << e;
    e = error_of(
        "http:\n  cors_origins:\n    - https://ok.example\n    - https://x.example/path\n");
    EXPECT_NE(e.find("parley.yml:4: http.cors_origins: 'https://x.example/path' is not an origin"),
              std::string::npos)
        << e;
    e = error_of("http: {bosh_max_wait: 0}\n");
    EXPECT_NE(e.find("http.bosh_max_wait: expected an integer between 1 and 300"),
              std::string::npos)
        << e;
    e = error_of("http: {permessage_deflate: maybe}\n");
    EXPECT_NE(e.find("http.permessage_deflate: expected true or false"), std::string::npos) << e;
}

TEST(config_test, modules_are_checked_against_the_known_list) {
    set_known_modules({"ping", "disco"});
    auto e = error_of("modules:\n  ping: {}\n  telepathy: {}\n");
    EXPECT_NE(e.find("parley.yml:3: modules: unknown module 'telepathy' (known: ping, disco)"),
              std::string::npos)
        << e;
    e = error_of("modules:\n  ping:\n    nested: {a: 1}\n");
    EXPECT_NE(e.find("modules.ping.nested: expected a single value"), std::string::npos) << e;
    set_known_modules({});
}

TEST(config_test, yaml_syntax_errors_carry_the_line) {
    auto e = error_of("hosts: [localhost\nlog_level: info\n");
    EXPECT_TRUE(e.starts_with("parley.yml:")) << e;
    EXPECT_FALSE(e.starts_with("parley.yml:0:")) << e;
}

TEST(config_test, missing_file_is_named) {
    auto r = load_config("/nonexistent/parley.yml");
    ASSERT_FALSE(r.config);
    EXPECT_NE(r.error.find("/nonexistent/parley.yml"), std::string::npos);
}

}  // namespace
}  // namespace server
