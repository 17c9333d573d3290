// What the harness measures about processes and the machine, read from /proc so
// that it works the same for parleyd, Prosody (lua) and ejabberd (beam.smp).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>

namespace bench {

struct cpu_sample {
    double server_s = 0;  // utime + stime of the server process (all threads)
    double self_s = 0;    // this generator's user + system time
    double busy_s = 0;    // whole machine, all cores: non-idle time
    double total_s = 0;   // whole machine, all cores
};

// pid 0 means "no server to watch" (server figures stay 0).
cpu_sample sample_cpu(pid_t server);

// Resident set size in KiB (VmRSS); 0 when unreadable.
std::uint64_t rss_kib(pid_t pid);

struct cpu_delta {
    double server_s = 0;
    double self_s = 0;
    double machine_busy = 0;  // fraction of all cores that were busy, 0..1
};
cpu_delta operator-(const cpu_sample& after, const cpu_sample& before);

}  // namespace bench
