// Plain, readable logging to stderr: "2026-11-23T10:00:00.123Z info  c2s: text".
// One line per call, written with a single write() so threads do not interleave.
#pragma once

#include <sstream>
#include <string_view>

#include "server/config.hpp"

namespace server::log {

void set_level(log_level level);
bool enabled(log_level level);
void write(log_level level, std::string_view area, std::string_view text);

namespace detail {
template <class... Args>
void emit(log_level level, std::string_view area, const Args&... args) {
    if (!enabled(level)) return;
    std::ostringstream s;
    (s << ... << args);
    write(level, area, s.str());
}
}  // namespace detail

template <class... Args>
void debug(std::string_view area, const Args&... args) {
    detail::emit(log_level::debug, area, args...);
}
template <class... Args>
void info(std::string_view area, const Args&... args) {
    detail::emit(log_level::info, area, args...);
}
template <class... Args>
void warn(std::string_view area, const Args&... args) {
    detail::emit(log_level::warn, area, args...);
}
template <class... Args>
void error(std::string_view area, const Args&... args) {
    detail::emit(log_level::error, area, args...);
}

}  // namespace server::log
