#include "server/http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/log.hpp"

namespace server {

namespace fs = std::filesystem;

namespace {

// The web page is a handful of small files; anything near these is a mistake.
constexpr std::size_t max_files = 2000;
constexpr std::size_t max_total_bytes = 32 << 20;

std::string content_type_for(const fs::path& p) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    auto it = types.find(p.extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> normalize_url_path(std::string_view path) {
    if (path.empty() || path[0] != '/') return std::nullopt;
    std::string decoded;
    for (std::size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        if (c == '%') {
            if (i + 2 >= path.size()) return std::nullopt;
            int hi = hex_value(path[i + 1]), lo = hex_value(path[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = char(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || c == '\\') return std::nullopt;
        decoded += c;
    }
    if (decoded.back() == '/') decoded += "index.html";
    // Every segment must be a plain name: "..", "." and "" would walk the tree.
    std::size_t begin = 1;
    while (begin <= decoded.size()) {
        auto end = decoded.find('/', begin);
        if (end == std::string::npos) end = decoded.size();
        auto seg = std::string_view(decoded).substr(begin, end - begin);
        if (seg.empty() || seg == "." || seg == ".." || seg[0] == '.') return std::nullopt;
        begin = end + 1;
    }
    return decoded;
}

std::optional<std::string> static_files::load(const std::string& root) {
    files_.clear();
    if (root.empty()) return std::nullopt;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        log::warn("http", "web root ", root, " is not a directory; serving no web page");
        return std::nullopt;
    }
    std::size_t total = 0;
    fs::recursive_directory_iterator it(root, ec), end;
    if (ec) return "cannot read web root " + root + ": " + ec.message();
    for (; it != end; it.increment(ec)) {
        if (ec) return "cannot read web root " + root + ": " + ec.message();
        const auto& entry = *it;
        auto name = entry.path().filename().string();
        if (name.starts_with(".") || name == "node_modules" || entry.is_symlink(ec)) {
            if (entry.is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!entry.is_regular_file(ec)) continue;
        if (files_.size() >= max_files) return "web root " + root + " has too many files";
        std::ifstream in(entry.path(), std::ios::binary);
        if (!in.is_open()) return "cannot read " + entry.path().string();
        std::stringstream s;
        s << in.rdbuf();
        total += s.str().size();
        if (total > max_total_bytes) return "web root " + root + " is larger than 32 MiB";
        auto rel = "/" + fs::relative(entry.path(), root).generic_string();
        files_[rel] = static_file{content_type_for(entry.path()), s.str()};
    }
    log::info("http", "serving ", files_.size(), " file(s) from ", root);
    return std::nullopt;
}

const static_file* static_files::find(std::string_view path) const {
    auto normal = normalize_url_path(path);
    if (!normal) return nullptr;
    auto it = files_.find(*normal);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace server
