// parley.yml -> config. Every key is checked against the keys we know and every
// value against its type and range; the first problem stops the start with the
// file, the line and the key.
#include "server/config.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace server {
namespace {

std::vector<std::string> known_modules;

struct config_error {
    int line;
    std::string message;
};

int line_of(const YAML::Node& n) {
    return n.Mark().line + 1;
}

[[noreturn]] void fail(const YAML::Node& n, const std::string& msg) {
    throw config_error{line_of(n), msg};
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

void require_map(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) fail(n, path + ": expected a map of keys");
}

void check_keys(const YAML::Node& n, const std::string& path,
                const std::vector<std::string>& known) {
    require_map(n, path.empty() ? "top level" : path);
    for (const auto& kv : n) {
        auto key = kv.first.as<std::string>();
        if (std::find(known.begin(), known.end(), key) == known.end())
            fail(kv.first, "unknown key '" + (path.empty() ? key : path + "." + key) +
                               "' (expected one of: " + join(known) + ")");
    }
}

std::string scalar(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) fail(n, path + ": expected a single value");
    return n.Scalar();
}

long long integer(const YAML::Node& n, const std::string& path, long long min, long long max) {
    auto text = scalar(n, path);
    try {
        std::size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used == text.size() && v >= min && v <= max) return v;
    } catch (const std::exception&) {
    }
    fail(n, path + ": expected an integer between " + std::to_string(min) + " and " +
                std::to_string(max) + ", got '" + text + "'");
}

bool boolean(const YAML::Node& n, const std::string& path) {
    auto text = scalar(n, path);
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    fail(n, path + ": expected true or false, got '" + text + "'");
}

template <class E>
E choice(const YAML::Node& n, const std::string& path,
         const std::vector<std::pair<std::string, E>>& options) {
    auto text = scalar(n, path);
    std::vector<std::string> names;
    for (const auto& [name, value] : options) {
        if (name == text) return value;
        names.push_back(name);
    }
    fail(n, path + ": expected one of " + join(names) + ", got '" + text + "'");
}

std::string host_name(const YAML::Node& n, const std::string& path) {
    auto h = scalar(n, path);
    if (!h.empty() && h.back() == '.') h.pop_back();
    for (auto& c : h) c = char(std::tolower(static_cast<unsigned char>(c)));
    bool ok =
        !h.empty() && h.size() <= 1023 && h.front() != '.' && h.find("..") == std::string::npos;
    for (char c : h)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) ok = false;
    if (!ok) fail(n, path + ": '" + n.Scalar() + "' is not a valid host name");
    return h;
}

std::chrono::seconds seconds(const YAML::Node& n, const std::string& path) {
    return std::chrono::seconds(integer(n, path, 1, 86400));
}

void read_listeners(const YAML::Node& n, config& cfg) {
    if (!n.IsSequence()) fail(n, "listeners: expected a list");
    cfg.listeners.clear();
    std::set<std::pair<std::string, int>> used;
    int i = 0;
    for (const auto& item : n) {
        auto path = "listeners[" + std::to_string(i++) + "]";
        check_keys(item, path, {"name", "port", "address", "tls", "kind"});
        listener_config l;
        if (item["name"]) l.name = scalar(item["name"], path + ".name");
        if (item["port"]) l.port = std::uint16_t(integer(item["port"], path + ".port", 0, 65535));
        if (item["address"]) {
            l.address = scalar(item["address"], path + ".address");
            unsigned char buf[16];
            if (inet_pton(AF_INET, l.address.c_str(), buf) != 1 &&
                inet_pton(AF_INET6, l.address.c_str(), buf) != 1)
                fail(item["address"],
                     path + ".address: expected an IPv4 or IPv6 address, got '" + l.address + "'");
        }
        if (item["tls"])
            l.tls = choice<tls_mode>(item["tls"], path + ".tls",
                                     {{"none", tls_mode::none},
                                      {"starttls", tls_mode::starttls},
                                      {"direct", tls_mode::direct}});
        if (item["kind"])
            l.kind =
                choice<listener_kind>(item["kind"], path + ".kind",
                                      {{"c2s", listener_kind::c2s}, {"http", listener_kind::http}});
        if (l.kind == listener_kind::http) {
            if (!item["tls"]) l.tls = tls_mode::none;
            if (l.tls == tls_mode::starttls)
                fail(item["tls"], path + ".tls: an http listener takes none or direct (HTTPS)");
            if (l.name.empty()) l.name = l.tls == tls_mode::direct ? "https" : "http";
        }
        if (l.name.empty()) l.name = l.tls == tls_mode::direct ? "c2s-tls" : "c2s";
        if (l.port != 0 && !used.insert({l.address, l.port}).second)
            fail(item, path + ": port " + std::to_string(l.port) + " on " + l.address +
                           " is used by another listener");
        cfg.listeners.push_back(l);
    }
}

void read_limits(const YAML::Node& n, limits_config& l) {
    check_keys(n, "limits",
               {"max_stanza_bytes", "max_depth", "max_attributes", "handshake_timeout",
                "idle_timeout", "max_send_queue_bytes", "max_resources_per_account"});
    if (n["max_stanza_bytes"])
        l.max_stanza_bytes =
            std::size_t(integer(n["max_stanza_bytes"], "limits.max_stanza_bytes", 1024, 64 << 20));
    if (n["max_depth"])
        l.max_depth = std::size_t(integer(n["max_depth"], "limits.max_depth", 4, 1024));
    if (n["max_attributes"])
        l.max_attributes =
            std::size_t(integer(n["max_attributes"], "limits.max_attributes", 4, 1024));
    if (n["handshake_timeout"])
        l.handshake_timeout = seconds(n["handshake_timeout"], "limits.handshake_timeout");
    if (n["idle_timeout"]) l.idle_timeout = seconds(n["idle_timeout"], "limits.idle_timeout");
    if (n["max_send_queue_bytes"])
        l.max_send_queue_bytes = std::size_t(
            integer(n["max_send_queue_bytes"], "limits.max_send_queue_bytes", 16384, 1LL << 30));
    if (n["max_resources_per_account"])
        l.max_resources_per_account = std::size_t(
            integer(n["max_resources_per_account"], "limits.max_resources_per_account", 1, 1000));
}

void read_http(const YAML::Node& n, http_config& h) {
    check_keys(
        n, "http",
        {"web_root", "max_header_bytes", "max_body_bytes", "idle_timeout", "websocket_keepalive",
         "permessage_deflate", "bosh_max_wait", "bosh_inactivity", "cors_origins"});
    if (n["web_root"]) h.web_root = scalar(n["web_root"], "http.web_root");
    if (n["max_header_bytes"])
        h.max_header_bytes =
            std::size_t(integer(n["max_header_bytes"], "http.max_header_bytes", 1024, 1 << 20));
    if (n["max_body_bytes"])
        h.max_body_bytes =
            std::size_t(integer(n["max_body_bytes"], "http.max_body_bytes", 1024, 64 << 20));
    if (n["idle_timeout"]) h.idle_timeout = seconds(n["idle_timeout"], "http.idle_timeout");
    if (n["websocket_keepalive"])
        h.websocket_keepalive = seconds(n["websocket_keepalive"], "http.websocket_keepalive");
    if (n["permessage_deflate"])
        h.permessage_deflate = boolean(n["permessage_deflate"], "http.permessage_deflate");
    if (n["bosh_max_wait"])
        h.bosh_max_wait =
            std::chrono::seconds(integer(n["bosh_max_wait"], "http.bosh_max_wait", 1, 300));
    if (n["bosh_inactivity"])
        h.bosh_inactivity =
            std::chrono::seconds(integer(n["bosh_inactivity"], "http.bosh_inactivity", 1, 3600));
    if (auto o = n["cors_origins"]) {
        if (!o.IsSequence()) fail(o, "http.cors_origins: expected a list");
        for (const auto& item : o) {
            auto origin = scalar(item, "http.cors_origins");
            // RFC 6454 §6.2: scheme://host[:port], no path; or "*".
            bool ok = origin == "*" ||
                      ((origin.starts_with("http://") || origin.starts_with("https://")) &&
                       origin.find('/', origin.find("//") + 2) == std::string::npos &&
                       origin.find_first_of(" \t\r\n") == std::string::npos);
            if (!ok)
                fail(item, "http.cors_origins: '" + origin +
                               "' is not an origin (scheme://host[:port]) or *");
            h.cors_origins.push_back(origin);
        }
    }
}

void read_sasl(const YAML::Node& n, sasl_config& s) {
    check_keys(n, "sasl", {"mechanisms", "scram_iterations", "failures_before_delay"});
    static const std::vector<std::string> known = {
        "SCRAM-SHA-1",   "SCRAM-SHA-1-PLUS",   "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS", "PLAIN"};
    if (auto m = n["mechanisms"]) {
        if (!m.IsSequence()) fail(m, "sasl.mechanisms: expected a list");
        for (const auto& item : m) {
            auto name = scalar(item, "sasl.mechanisms");
            if (std::find(known.begin(), known.end(), name) == known.end())
                fail(item, "sasl.mechanisms: unknown mechanism '" + name +
                               "' (expected: " + join(known) + ")");
            s.mechanisms.push_back(name);
        }
    }
    if (n["scram_iterations"])
        s.scram_iterations =
            std::uint32_t(integer(n["scram_iterations"], "sasl.scram_iterations", 4096, 1000000));
    if (n["failures_before_delay"])
        s.failures_before_delay =
            unsigned(integer(n["failures_before_delay"], "sasl.failures_before_delay", 0, 1000));
}

void read_modules(const YAML::Node& n, config& cfg) {
    require_map(n, "modules");
    for (const auto& kv : n) {
        auto name = kv.first.as<std::string>();
        if (!known_modules.empty() &&
            std::find(known_modules.begin(), known_modules.end(), name) == known_modules.end())
            fail(kv.first,
                 "modules: unknown module '" + name + "' (known: " + join(known_modules) + ")");
        module_config mc;
        mc.line = line_of(kv.first);
        const auto& v = kv.second;
        if (v.IsNull()) {
        } else if (v.IsScalar()) {
            mc.enabled = boolean(v, "modules." + name);
        } else if (v.IsMap()) {
            for (const auto& opt : v) {
                auto key = opt.first.as<std::string>();
                mc.options[key] = scalar(opt.second, "modules." + name + "." + key);
            }
        } else {
            fail(v, "modules." + name + ": expected true, false or a map of options");
        }
        cfg.modules[name] = std::move(mc);
    }
}

std::string resolve(const std::string& path, const std::filesystem::path& base) {
    if (path.empty()) return path;
    std::filesystem::path p(path);
    return p.is_absolute() ? path : (base / p).lexically_normal().string();
}

config build(const YAML::Node& root, const std::string& source, const std::filesystem::path& base) {
    config cfg;
    cfg.source = source;
    cfg.listeners = {{"c2s", listener_kind::c2s, "127.0.0.1", 5222, tls_mode::starttls},
                     {"c2s-tls", listener_kind::c2s, "127.0.0.1", 5223, tls_mode::direct},
                     {"http", listener_kind::http, "127.0.0.1", 5280, tls_mode::none},
                     {"https", listener_kind::http, "127.0.0.1", 5443, tls_mode::direct}};
    if (!root || root.IsNull()) {
        cfg.data_dir = resolve(cfg.data_dir, base);
        cfg.http.web_root = resolve(cfg.http.web_root, base);
        return cfg;
    }
    check_keys(root, "",
               {"hosts", "data_dir", "log_level", "io_threads", "storage_threads", "listeners",
                "tls", "limits", "http", "sasl", "modules", "admin_socket"});
    if (auto h = root["hosts"]) {
        if (!h.IsSequence() || h.size() == 0)
            fail(h, "hosts: expected a non-empty list of domains");
        cfg.hosts.clear();
        for (const auto& item : h) cfg.hosts.push_back(host_name(item, "hosts"));
    }
    if (root["data_dir"]) cfg.data_dir = scalar(root["data_dir"], "data_dir");
    if (root["log_level"])
        cfg.log = choice<log_level>(root["log_level"], "log_level",
                                    {{"debug", log_level::debug},
                                     {"info", log_level::info},
                                     {"warn", log_level::warn},
                                     {"error", log_level::error}});
    if (root["io_threads"])
        cfg.io_threads = unsigned(integer(root["io_threads"], "io_threads", 0, 256));
    if (root["storage_threads"])
        cfg.storage_threads = unsigned(integer(root["storage_threads"], "storage_threads", 1, 64));
    if (root["listeners"]) read_listeners(root["listeners"], cfg);
    if (auto t = root["tls"]) {
        check_keys(t, "tls", {"certificate", "key", "require_tls"});
        if (t["certificate"]) cfg.tls.certificate = scalar(t["certificate"], "tls.certificate");
        if (t["key"]) cfg.tls.key = scalar(t["key"], "tls.key");
        if (t["require_tls"]) cfg.tls.require_tls = boolean(t["require_tls"], "tls.require_tls");
    }
    if (root["limits"]) read_limits(root["limits"], cfg.limits);
    if (root["http"]) read_http(root["http"], cfg.http);
    if (!root["http"] || !root["http"]["max_body_bytes"])
        cfg.http.max_body_bytes = 2 * cfg.limits.max_stanza_bytes;
    if (root["sasl"]) read_sasl(root["sasl"], cfg.sasl);
    if (root["modules"]) read_modules(root["modules"], cfg);
    if (root["admin_socket"]) cfg.admin_socket = scalar(root["admin_socket"], "admin_socket");

    cfg.data_dir = resolve(cfg.data_dir, base);
    cfg.tls.certificate = resolve(cfg.tls.certificate, base);
    cfg.tls.key = resolve(cfg.tls.key, base);
    cfg.admin_socket = resolve(cfg.admin_socket, base);
    cfg.http.web_root = resolve(cfg.http.web_root, base);
    return cfg;
}

}  // namespace

std::string config::database_path() const {
    return (std::filesystem::path(data_dir) / "parley.db").string();
}

std::string config::admin_socket_path() const {
    if (!admin_socket.empty()) return admin_socket;
    return (std::filesystem::path(data_dir) / "parleyctl.sock").string();
}

void set_known_modules(std::vector<std::string> names) {
    known_modules = std::move(names);
}

config_result parse_config(const std::string& yaml_text, const std::string& source_name) {
    auto name = std::filesystem::path(source_name).filename().string();
    auto base = std::filesystem::absolute(std::filesystem::path(source_name)).parent_path();
    try {
        auto root = YAML::Load(yaml_text);
        return {build(root, source_name, base), {}};
    } catch (const config_error& e) {
        return {std::nullopt, name + ":" + std::to_string(e.line) + ": " + e.message};
    } catch (const YAML::Exception& e) {
        return {std::nullopt, name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
    }
}

config_result load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) return {std::nullopt, "cannot read configuration file " + path};
    std::stringstream s;
    s << in.rdbuf();
    return parse_config(s.str(), path);
}

}  // namespace server
