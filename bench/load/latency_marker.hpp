// Chat messages carry their send time in the body as "PB:<ns>:" (steady clock,
// nanoseconds). Receivers find the markers in the raw byte stream instead of
// parsing XML, so measuring costs the generator next to nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

std::int64_t now_ns();
std::string marker(std::int64_t ns);

// The p-quantile (0..1, 1 is the maximum) of latencies in nanoseconds, in
// milliseconds; 0 for none. Reorders `latencies_ns`.
double percentile_ms(std::vector<std::int64_t>& latencies_ns, double p);

class marker_scanner {
  public:
    // Calls `found` with the timestamp of every complete marker in `chunk`; a
    // marker split across chunks is completed by the next one.
    void scan(std::string_view chunk, const std::function<void(std::int64_t)>& found);

  private:
    std::string carry_;
};

}  // namespace bench
