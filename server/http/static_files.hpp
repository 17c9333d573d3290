// The files of the bundled web page, read into memory once at start: serving
// them never touches the disk on an I/O thread, and only files found under the
// web root at start can ever be served, whatever a request path says.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace server {

struct static_file {
    std::string content_type;
    std::string body;
};

class static_files {
  public:
    // Reads every regular file under `root`, skipping hidden entries, symlinks and
    // node_modules. Returns an error for the operator when the tree is too large
    // or unreadable; a missing root serves nothing (and is only logged).
    std::optional<std::string> load(const std::string& root);

    // `path` is a request target's path (no query), not yet decoded. Null when
    // nothing is there or the path is not acceptable.
    const static_file* find(std::string_view path) const;

    std::size_t size() const { return files_.size(); }

  private:
    std::map<std::string, static_file, std::less<>> files_;  // "/index.html" -> file
};

// Percent-decodes a URL path and checks it names a file inside the tree: no
// "..", no empty or dot segments, no NUL or backslash. "/" and "/dir/" get
// index.html. nullopt when the path is not acceptable.
std::optional<std::string> normalize_url_path(std::string_view path);

}  // namespace server
