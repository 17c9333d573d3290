// Slows down repeated authentication failures from one address (RFC 6120 §6.4.5
// lets a server limit retries; this makes password guessing expensive without
// locking out the real user for long). Thread-safe.
//
// A success does not wipe the record: a guesser holding one valid account could
// otherwise mix in good logins and guess other accounts' passwords at full
// speed. Failures are forgotten after a quiet while instead. IPv6 addresses
// count per /64, the block one subscriber usually holds.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace server {

class auth_throttle {
  public:
    explicit auth_throttle(unsigned free_failures) : free_failures_(free_failures) {}

    // Records a failure; returns how long to wait before answering it.
    std::chrono::milliseconds failed(const std::string& address);

  private:
    struct record {
        unsigned failures = 0;
        std::chrono::steady_clock::time_point last;
    };
    std::mutex mu_;
    std::unordered_map<std::string, record> by_address_;
    unsigned free_failures_;
};

}  // namespace server
