// parleyctl: ejabberdctl-style administration. Commands go to the running server
// over its unix socket; account and offline-queue commands also work with the
// server down, on the database directly.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/admin/account_commands.hpp"
#include "server/admin/core_commands.hpp"
#include "server/admin/registry.hpp"
#include "server/config.hpp"
#include "server/hooks/module_api.hpp"
#include "storage/sqlite/database.hpp"

namespace {

using server::admin::exit_code;
using server::admin::reply;

void usage() {
    std::cerr << "usage: parleyctl [--config FILE] [--socket PATH] COMMAND [ARGS...]\n"
                 "  FILE defaults to $PARLEY_CONFIG, else ./parley.yml\n"
                 "commands:\n"
                 "  register <user> <host> <password>          create an account\n"
                 "  unregister <user> <host>                   delete an account and its data\n"
                 "  change_password <user> <host> <password>   set a new password\n"
                 "  registered_users <host>                    list the accounts of a host\n"
                 "  get_offline_count <user> <host>            number of queued offline messages\n"
                 "  get_offline_messages <user> <host>         list them: stamp, sender, stanza\n"
                 "  delete_offline_messages <user> <host>      delete them\n"
                 "  connected_users                            list the bound sessions\n"
                 "  status                                     is the server running?\n"
                 "  stop                                       shut the server down\n"
                 "account and offline message commands work without a running server.\n";
}

// Result of asking the server; nullopt when no server listens on the socket.
std::optional<reply> ask_server(const std::string& path, const std::string& command,
                                const std::vector<std::string>& args) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return reply{exit_code::failed, "socket path too long"};
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return reply{exit_code::failed, std::string("socket: ") + std::strerror(errno)};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        ::close(fd);
        if (err == ENOENT || err == ECONNREFUSED) return std::nullopt;
        return reply{exit_code::unreachable,
                     "cannot reach the server at " + path + ": " + std::strerror(err)};
    }
    std::string request = nlohmann::json{{"command", command}, {"args", args}}.dump() + "\n";
    for (std::size_t sent = 0; sent < request.size();) {
        auto n = ::write(fd, request.data() + sent, request.size() - sent);
        if (n <= 0) break;
        sent += std::size_t(n);
    }
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, std::size_t(n));
    ::close(fd);
    auto j = nlohmann::json::parse(response, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("code") || !j["code"].is_number_integer())
        return reply{exit_code::unreachable, "the server closed the connection without answering"};
    return reply{j["code"].get<int>(), j.value("output", "")};
}

// Storage-only commands straight on the database, declared by the same functions
// the server uses (accounts, and those modules declare), so both front ends
// accept the same commands and arguments.
reply run_offline(const server::config& cfg, const std::string& command,
                  const std::vector<std::string>& args) {
    server::admin::registry local;
    std::optional<std::string> open_error;
    std::unique_ptr<storage::database> db;
    auto runner = [&](server::admin::storage_job job, server::admin::done_fn done) {
        if (!db) {
            if (!std::filesystem::exists(cfg.data_dir))
                std::filesystem::create_directories(cfg.data_dir);
            auto opened = storage::database::open(cfg.database_path());
            if (!opened)
                return done({exit_code::failed, "cannot open database " + cfg.database_path() +
                                                    ": " + opened.error().message});
            db = std::move(opened.value());
        }
        done(job(*db));
    };
    server::admin::add_account_commands(local, cfg, runner);
    for (const auto& m : server::builtin_modules())
        if (m.commands) m.commands(local, cfg, runner);
    // Anything else unknown here is a usage error, answered by call() below.
    if (!local.find(command) && server::admin::is_live_command(command))
        return {exit_code::unreachable,
                "parleyd is not running (no server on " + cfg.admin_socket_path() + ")"};
    reply out;
    local.call(command, args, [&](reply r) { out = std::move(r); });
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    std::string socket_path;
    if (const char* env = std::getenv("PARLEY_CONFIG")) config_path = env;
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg == "--socket" && i + 1 < argc) {
            socket_path = argv[++i];
        } else if (arg == "--help" || arg == "-h" || arg == "help") {
            usage();
            return exit_code::ok;
        } else if (arg.starts_with("-")) {
            std::cerr << "parleyctl: unknown option '" << arg << "'\n";
            usage();
            return exit_code::usage;
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage();
        return exit_code::usage;
    }
    std::string command = argv[i];
    std::vector<std::string> args(argv + i + 1, argv + argc);
    if (config_path.empty()) config_path = "parley.yml";

    std::vector<std::string> names;
    for (const auto& m : server::builtin_modules()) names.push_back(m.name);
    server::set_known_modules(names);
    auto loaded = server::load_config(config_path);
    if (!loaded.config) {
        std::cerr << "parleyctl: " << loaded.error << "\n";
        return exit_code::failed;
    }
    const auto& cfg = *loaded.config;
    if (socket_path.empty()) socket_path = cfg.admin_socket_path();

    auto r = ask_server(socket_path, command, args);
    if (!r) {
        if (command == "status") {
            std::cout << "parleyd is not running\n";
            return exit_code::unreachable;
        }
        r = run_offline(cfg, command, args);
    }
    auto& out = r->code == exit_code::ok ? std::cout : std::cerr;
    if (!r->output.empty())
        out << (r->code == exit_code::ok ? "" : "parleyctl: ") << r->output << "\n";
    return r->code;
}
