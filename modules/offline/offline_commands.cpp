#include "modules/offline/offline_commands.hpp"

#include "modules/offline/offline_message.hpp"
#include "server/admin/account_commands.hpp"
#include "storage/accounts.hpp"
#include "storage/store.hpp"

namespace modules {
namespace {

using server::admin::exit_code;
using server::admin::reply;

// The queue of an existing account, or the reply that says why there is none.
struct queue_of {
    server::admin::account_name name;
    std::optional<reply> refusal;
};

queue_of find_queue(storage::database& db, const server::config& cfg, const std::string& user,
                    const std::string& host) {
    auto name = server::admin::prepare_account(cfg, user, host);
    if (!name.error.empty()) return {name, reply{exit_code::failed, name.error}};
    auto exists = storage::accounts(db).exists(name.user, name.host);
    if (!exists) return {name, reply{exit_code::failed, exists.error().message}};
    if (!exists.value())
        return {name, reply{exit_code::failed,
                            "user " + name.user + "@" + name.host + " does not exist"}};
    return {name, std::nullopt};
}

reply count(storage::database& db, const server::config& cfg, const std::string& user,
            const std::string& host) {
    auto q = find_queue(db, cfg, user, host);
    if (q.refusal) return *q.refusal;
    auto n =
        storage::archive_store(db, std::string(offline_store)).count({q.name.user, q.name.host});
    if (!n) return {exit_code::failed, n.error().message};
    return {exit_code::ok, std::to_string(n.value())};
}

// One line per message, oldest first: stamp, sender, the stanza. Line breaks in
// the stanza become character references so a message never spans two lines.
reply list(storage::database& db, const server::config& cfg, const std::string& user,
           const std::string& host) {
    auto q = find_queue(db, cfg, user, host);
    if (q.refusal) return *q.refusal;
    auto entries =
        storage::archive_store(db, std::string(offline_store)).list({q.name.user, q.name.host});
    if (!entries) return {exit_code::failed, entries.error().message};
    std::string out;
    for (const auto& e : entries.value()) {
        out += stamp(e.when_ms) + "\t" + e.with + "\t";
        for (char c : e.value) {
            if (c == '\n')
                out += "&#10;";
            else if (c == '\r')
                out += "&#13;";
            else
                out += c;
        }
        out += "\n";
    }
    if (!out.empty()) out.pop_back();
    return {exit_code::ok, out};
}

reply remove(storage::database& db, const server::config& cfg, const std::string& user,
             const std::string& host) {
    auto q = find_queue(db, cfg, user, host);
    if (q.refusal) return *q.refusal;
    auto n = storage::archive_store(db, std::string(offline_store))
                 .remove_all({q.name.user, q.name.host});
    if (!n) return {exit_code::failed, n.error().message};
    return {exit_code::ok, std::to_string(n.value()) + " offline message(s) of " + q.name.user +
                               "@" + q.name.host + " deleted"};
}

using handler = reply (*)(storage::database&, const server::config&, const std::string&,
                          const std::string&);

server::admin::command user_command(std::string name, std::string help, handler fn,
                                    const server::config& cfg, server::admin::storage_runner run) {
    return {std::move(name),
            {"user", "host"},
            std::move(help),
            [fn, &cfg, run](const std::vector<std::string>& a, server::admin::done_fn done) {
                run([fn, &cfg, a](storage::database& db) { return fn(db, cfg, a[0], a[1]); },
                    std::move(done));
            }};
}

}  // namespace

void add_offline_commands(server::admin::registry& r, const server::config& cfg,
                          server::admin::storage_runner run) {
    r.add(
        user_command("get_offline_count", "number of messages queued for a user", count, cfg, run));
    r.add(user_command("get_offline_messages",
                       "list a user's queued messages, oldest first (stamp, sender, stanza)", list,
                       cfg, run));
    r.add(user_command("delete_offline_messages", "delete a user's queued messages", remove, cfg,
                       run));
}

}  // namespace modules
