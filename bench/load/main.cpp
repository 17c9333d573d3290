// parley-load: an XMPP client load generator for comparing servers.
//   parley-load SCENARIO [options]
//   SCENARIO: idle | login | chat | presence-setup | presence | register | floor
//   parley-load relay --listen ADDR:PORT   (the trivial server floor runs against)
// Prints a human-readable row ('#') and one JSON line per scenario.
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "bench/load/scenario.hpp"

namespace {

constexpr const char* usage =
    R"(usage: parley-load idle|login|chat|presence-setup|presence|register|floor [options]
       parley-load relay --listen ADDR:PORT [--duration S]
  --server ADDR:PORT     c2s listener (default 127.0.0.1:5222)
  --domain D             XMPP domain (default localhost)
  --tls starttls|direct|none   (default starttls)
  --plain                SASL PLAIN instead of SCRAM-SHA-1
  --tls12                TLS 1.2 at most (the connection then stays with OpenSSL)
  --password PW          same password for every account (default bench)
  --user-prefix P        accounts are P0..P<users-1> (default u)
  --users N              how many accounts exist (default 1000)
  --sources K            spread sockets over 127.0.0.1..127.0.0.K (default 8)
  --server-pid PID       report this process's CPU time and RSS
  --label NAME           server name in the report
  --connections N        idle: clients held (default 1000)
  --concurrency C        logins in flight (default 50)
  --logins L             login: logins to perform (default 2000)
  --pairs P --window W --messages M --body-bytes B --rate R     chat, floor
  --warmup S             chat, floor: send for S seconds first, unmeasured (default 0.2)
  floor                  chat's messages over plain TCP through a relay, no login:
                         the machine's own floor under chat latency and CPU
  --listen ADDR:PORT     relay: where to accept (port 0: any); prints {"listening":PORT}
                         then pairs connections in accept order (0 with 1, 2 with 3...)
                         and copies each one's bytes to the other until SIGTERM/SIGINT
  --contacts C           presence(-setup): roster size; users form groups of C+1 (default 20)
  --changes K            presence: changes per user (default 10)
  --duration S           bound for each phase in seconds (default 120; relay: 600)
  --settle S             idle: seconds to hold the clients, sampling RSS (default 2)
)";

[[noreturn]] void die(const std::string& msg) {
    std::cerr << "parley-load: " << msg << "\n" << usage;
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) die("no scenario");
    std::string scenario = argv[1];
    if (scenario == "--help" || scenario == "-h") {
        std::cout << usage;
        return 0;
    }
    bench::run_options o;
    std::string server = "127.0.0.1:5222", listen = "127.0.0.1:0";
    std::size_t sources = 8;
    std::map<std::string, std::string> args;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--plain") {
            o.client.plain = true;
            continue;
        }
        if (a == "--tls12") {
            o.client.tls12 = true;
            continue;
        }
        if (a.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument " + a);
        args[a.substr(2)] = argv[++i];
    }
    try {
        for (const auto& [k, v] : args) {
            auto n = [&] { return std::stoull(v); };
            if (k == "server")
                server = v;
            else if (k == "listen")
                listen = v;
            else if (k == "domain")
                o.client.domain = v;
            else if (k == "tls")
                o.client.tls = v == "direct" ? bench::tls_mode::direct
                               : v == "none" ? bench::tls_mode::none
                                             : bench::tls_mode::starttls;
            else if (k == "password")
                o.client.password = v;
            else if (k == "user-prefix")
                o.user_prefix = v;
            else if (k == "users")
                o.users = std::max<std::size_t>(n(), 1);
            else if (k == "sources")
                sources = std::max<std::size_t>(n(), 1);
            else if (k == "server-pid")
                o.server_pid = pid_t(n());
            else if (k == "label")
                o.label = v;
            else if (k == "connections")
                o.connections = n();
            else if (k == "concurrency")
                o.concurrency = std::max<std::size_t>(n(), 1);
            else if (k == "logins")
                o.logins = n();
            else if (k == "pairs")
                o.pairs = n();
            else if (k == "window")
                o.window = std::max<std::size_t>(n(), 1);
            else if (k == "messages")
                o.messages = n();
            else if (k == "body-bytes")
                o.body_bytes = n();
            else if (k == "rate")
                o.rate = std::stod(v);
            else if (k == "warmup")
                o.warmup_s = std::max(std::stod(v), 0.0);
            else if (k == "duration")
                o.duration_s = std::stod(v);
            else if (k == "settle")
                o.settle_s = std::stod(v);
            else if (k == "contacts")
                o.contacts = std::max<std::size_t>(n(), 1);
            else if (k == "changes")
                o.changes = n();
            else
                die("unknown option --" + k);
        }
        auto endpoint = [](const std::string& v, const char* option) {
            auto colon = v.rfind(':');
            if (colon == std::string::npos) die(std::string(option) + " needs ADDR:PORT");
            return bench::tcp::endpoint(
                boost::asio::ip::make_address(v.substr(0, colon)),
                static_cast<unsigned short>(std::stoul(v.substr(colon + 1))));
        };
        o.client.server = endpoint(server, "--server");
        o.listen = endpoint(listen, "--listen");
        if (scenario == "relay" && !args.count("duration")) o.duration_s = 600;
        for (std::size_t k = 1; k <= sources; ++k)
            o.client.sources.push_back(
                boost::asio::ip::make_address("127.0.0." + std::to_string(k)));
    } catch (const std::exception& e) {
        die(std::string("bad value: ") + e.what());
    }

    if (scenario == "idle")
        bench::run_idle(o);
    else if (scenario == "login")
        bench::run_login(o);
    else if (scenario == "chat")
        bench::run_chat(o);
    else if (scenario == "floor")
        bench::run_floor(o);
    else if (scenario == "relay")
        bench::run_relay(o);
    else if (scenario == "presence")
        bench::run_presence(o);
    else if (scenario == "presence-setup")
        bench::run_presence_setup(o);
    else if (scenario == "register")
        bench::run_register(o);
    else
        die("unknown scenario " + scenario);
    return 0;
}
