#include "bench/load/proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace bench {
namespace {

double ticks_to_s(unsigned long long t) {
    return double(t) / double(sysconf(_SC_CLK_TCK));
}

double process_cpu_s(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return 0;
    // The command name (field 2) may contain spaces; fields count from after ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // Fields 3..13 precede utime (14) and stime (15).
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return ticks_to_s(utime + stime);
}

double self_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

}  // namespace

cpu_sample sample_cpu(pid_t server) {
    cpu_sample s;
    if (server > 0) s.server_s = process_cpu_s(server);
    s.self_s = self_cpu_s();
    std::ifstream f("/proc/stat");
    std::string cpu;
    unsigned long long v[10] = {};
    f >> cpu;
    for (auto& x : v) f >> x;
    unsigned long long total = 0;
    for (auto x : v) total += x;
    unsigned long long idle = v[3] + v[4];  // idle + iowait
    s.total_s = ticks_to_s(total);
    s.busy_s = ticks_to_s(total - idle);
    return s;
}

std::uint64_t rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    return 0;
}

cpu_delta operator-(const cpu_sample& after, const cpu_sample& before) {
    cpu_delta d;
    d.server_s = after.server_s - before.server_s;
    d.self_s = after.self_s - before.self_s;
    double total = after.total_s - before.total_s;
    d.machine_busy = total > 0 ? (after.busy_s - before.busy_s) / total : 0;
    return d;
}

}  // namespace bench
