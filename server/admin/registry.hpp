// One registry of admin commands, declared once (name, arguments, help, handler)
// and served by every front end: the parleyctl unix socket now, the HTTP API
// later. Handlers answer through a callback because most of them wait on storage.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace storage {
class database;
}

namespace server::admin {

namespace asio = boost::asio;

// Exit codes parleyctl passes on to the shell.
enum exit_code { ok = 0, failed = 1, usage = 2, unreachable = 3 };

struct reply {
    int code = exit_code::ok;
    std::string output;
};
using done_fn = std::function<void(reply)>;

// Where a storage job runs: the server posts it to a storage thread; parleyctl,
// with the server down, runs it at once on its own connection.
using storage_job = std::function<reply(storage::database&)>;
using storage_runner = std::function<void(storage_job job, done_fn done)>;

struct command {
    std::string name;
    std::vector<std::string> args;  // argument names, e.g. {"user", "host", "password"}
    std::string help;
    std::function<void(const std::vector<std::string>& args, done_fn done)> run;
};

class registry {
  public:
    void add(command c);
    const command* find(const std::string& name) const;
    const std::map<std::string, command>& all() const { return commands_; }
    // Checks the name and argument count, then runs the handler.
    void call(const std::string& name, const std::vector<std::string>& args, done_fn done) const;
    std::string usage_text() const;

  private:
    std::map<std::string, command> commands_;
};

// JSON lines over a unix socket created with mode 0600: one request
// {"command": "...", "args": [...]} and one reply {"code": N, "output": "..."}.
class admin_socket {
  public:
    admin_socket(asio::io_context& io, std::string path, const registry& commands);
    ~admin_socket();
    std::optional<std::string> start();  // error message on failure
    void stop();

  private:
    void accept();
    asio::io_context& io_;
    std::string path_;
    const registry& commands_;
    asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace server::admin
