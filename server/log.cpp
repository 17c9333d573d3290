#include "server/log.hpp"

#include "xml/datetime.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

namespace server::log {
namespace {

std::atomic<log_level> current{log_level::info};

std::string_view level_name(log_level l) {
    switch (l) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info ";
        case log_level::warn:
            return "warn ";
        case log_level::error:
            return "error";
    }
    return "?";
}

}  // namespace

void set_level(log_level level) {
    current = level;
}

bool enabled(log_level level) {
    return level >= current.load(std::memory_order_relaxed);
}

void write(log_level level, std::string_view area, std::string_view text) {
    std::string line = xml::datetime();
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += area;
    line += ": ";
    line += text;
    line += '\n';
    // One write(2) per line keeps lines whole when several threads log at once.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace server::log
