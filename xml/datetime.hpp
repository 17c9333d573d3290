// XEP-0082 date-time profile: "2026-11-23T10:00:00.123Z", always UTC.
#pragma once

#include <chrono>
#include <string>

namespace xml {

std::string datetime(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

}  // namespace xml
