#include "bench/load/report.hpp"

#include <cstdio>
#include <iostream>

namespace bench {
namespace {

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        out += c;
    }
    return out + "\"";
}

}  // namespace

report::report(std::string scenario, std::string label) {
    add("scenario", std::move(scenario));
    add("server", std::move(label));
}

report& report::add(std::string key, double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    fields_.emplace_back(std::move(key), buf);
    return *this;
}

report& report::add(std::string key, long long value) {
    fields_.emplace_back(std::move(key), std::to_string(value));
    return *this;
}

report& report::add(std::string key, std::string value) {
    fields_.emplace_back(std::move(key), quote(value));
    return *this;
}

void report::print(const std::vector<std::string>& row_keys) const {
    std::string row = "#";
    for (const auto& k : row_keys)
        for (const auto& [key, value] : fields_)
            if (key == k) row += " " + key + "=" + value;
    std::string json = "{";
    for (const auto& [key, value] : fields_) {
        if (json.size() > 1) json += ",";
        json += quote(key) + ":" + value;
    }
    json += "}";
    std::cout << row << "\n" << json << std::endl;
}

}  // namespace bench
