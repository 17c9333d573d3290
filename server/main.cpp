// parleyd: load the configuration, start the server, run until stopped.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "server/config.hpp"
#include "server/hooks/module_api.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace {

void usage() {
    std::cerr << "usage: parleyd [--config FILE]\n"
                 "  FILE defaults to $PARLEY_CONFIG, else ./parley.yml\n";
}

}  // namespace

int main(int argc, char** argv) {
    // A peer that resets while we write must cost an EPIPE, not the process:
    // every socket write path (Asio, Beast, the TLS BIO) handles the error.
    std::signal(SIGPIPE, SIG_IGN);
    std::string path;
    if (const char* env = std::getenv("PARLEY_CONFIG")) path = env;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
            path = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            usage();
            return 0;
        } else {
            std::cerr << "parleyd: unknown argument '" << arg << "'\n";
            usage();
            return 2;
        }
    }
    if (path.empty()) path = "parley.yml";

    std::vector<std::string> names;
    for (const auto& m : server::builtin_modules()) names.push_back(m.name);
    server::set_known_modules(names);

    auto loaded = server::load_config(path);
    if (!loaded.config) {
        std::cerr << "parleyd: " << loaded.error << "\n";
        return 1;
    }
    server::xmpp_server srv(std::move(*loaded.config));
    if (auto err = srv.start()) {
        std::cerr << "parleyd: " << *err << "\n";
        return 1;
    }
    server::log::info("server", "ready");
    srv.run();
    return 0;
}
