// One result line per scenario: a JSON object for scripts (compare.sh reads the
// lines that start with '{') and a human-readable row, prefixed '#'.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bench {

class report {
  public:
    explicit report(std::string scenario, std::string label);
    report& add(std::string key, double value, int decimals = 3);
    report& add(std::string key, long long value);
    report& add(std::string key, std::string value);
    // Prints the row (chosen keys) and the JSON line to stdout.
    void print(const std::vector<std::string>& row_keys) const;

  private:
    std::vector<std::pair<std::string, std::string>> fields_;  // key, JSON value
};

}  // namespace bench
