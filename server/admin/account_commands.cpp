#include "server/admin/account_commands.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "storage/accounts.hpp"
#include "xml/jid.hpp"

namespace server::admin {
namespace {

reply storage_failure(const storage::error& e) {
    return {exit_code::failed, e.message};
}

std::mutex steps_mu;
std::map<std::string, offline_removal_step>& offline_steps() {
    static std::map<std::string, offline_removal_step> steps;
    return steps;
}

// The registered steps for an existing account, in name order; the first
// error stops them (and the removal).
reply run_offline_steps(storage::database& db, const config& cfg, const std::string& user,
                        const std::string& host) {
    std::map<std::string, offline_removal_step> steps;
    {
        std::lock_guard lock(steps_mu);
        steps = offline_steps();
    }
    for (const auto& [name, step] : steps)
        if (auto r = step(db, cfg, user, host); !r)
            return {exit_code::failed, "user " + user + "@" + host + " not unregistered: " + name +
                                           ": " + r.error().message};
    return {exit_code::ok, {}};
}

}  // namespace

void add_offline_removal_step(const std::string& name, offline_removal_step step) {
    std::lock_guard lock(steps_mu);
    offline_steps()[name] = std::move(step);
}

account_name prepare_account(const config& cfg, const std::string& user, const std::string& host) {
    auto u = xml::nodeprep(user);
    auto h = xml::nameprep_domain(host);
    if (!u || u->empty()) return {{}, {}, "invalid user name '" + user + "'"};
    if (!h || std::find(cfg.hosts.begin(), cfg.hosts.end(), *h) == cfg.hosts.end())
        return {{}, {}, "host '" + host + "' is not served by this server"};
    return {*u, *h, {}};
}

reply register_user(storage::database& db, const config& cfg, const std::string& user,
                    const std::string& host, const std::string& password) {
    auto name = prepare_account(cfg, user, host);
    if (!name.error.empty()) return {exit_code::failed, name.error};
    if (password.empty()) return {exit_code::failed, "the password must not be empty"};
    storage::accounts accounts(db);
    auto r = accounts.create(name.user, name.host, password, cfg.sasl.scram_iterations);
    if (!r) {
        if (r.error().code == storage::errc::already_exists)
            return {exit_code::failed, "user " + name.user + "@" + name.host + " already exists"};
        return storage_failure(r.error());
    }
    return {exit_code::ok, "user " + name.user + "@" + name.host + " registered"};
}

reply unregister_user(storage::database& db, const config& cfg, const std::string& user,
                      const std::string& host) {
    auto name = prepare_account(cfg, user, host);
    if (!name.error.empty()) return {exit_code::failed, name.error};
    storage::accounts accounts(db);
    auto r = accounts.remove(name.user, name.host);
    if (!r) {
        if (r.error().code == storage::errc::not_found)
            return {exit_code::failed, "user " + name.user + "@" + name.host + " does not exist"};
        return storage_failure(r.error());
    }
    return {exit_code::ok, "user " + name.user + "@" + name.host + " unregistered"};
}

reply change_password(storage::database& db, const config& cfg, const std::string& user,
                      const std::string& host, const std::string& password) {
    auto name = prepare_account(cfg, user, host);
    if (!name.error.empty()) return {exit_code::failed, name.error};
    if (password.empty()) return {exit_code::failed, "the password must not be empty"};
    storage::accounts accounts(db);
    auto r = accounts.set_password(name.user, name.host, password, cfg.sasl.scram_iterations);
    if (!r) {
        if (r.error().code == storage::errc::not_found)
            return {exit_code::failed, "user " + name.user + "@" + name.host + " does not exist"};
        return storage_failure(r.error());
    }
    return {exit_code::ok, "password of " + name.user + "@" + name.host + " changed"};
}

reply registered_users(storage::database& db, const config& cfg, const std::string& host) {
    auto h = xml::nameprep_domain(host);
    if (!h || std::find(cfg.hosts.begin(), cfg.hosts.end(), *h) == cfg.hosts.end())
        return {exit_code::failed, "host '" + host + "' is not served by this server"};
    storage::accounts accounts(db);
    auto users = accounts.list(*h);
    if (!users) return storage_failure(users.error());
    std::string out;
    for (const auto& u : users.value()) out += u + "\n";
    if (!out.empty()) out.pop_back();
    return {exit_code::ok, out};
}

void add_account_commands(registry& r, const config& cfg, storage_runner run, removal_hooks hooks) {
    r.add({"register",
           {"user", "host", "password"},
           "create an account",
           [&cfg, run](const std::vector<std::string>& a, done_fn done) {
               run([&cfg,
                    a](storage::database& db) { return register_user(db, cfg, a[0], a[1], a[2]); },
                   std::move(done));
           }});
    r.add({"unregister",
           {"user", "host"},
           "delete an account and its data",
           [&cfg, run, hooks](const std::vector<std::string>& a, done_fn done) {
               run(
                   [&cfg, a, hooks](storage::database& db) {
                       auto user = xml::nodeprep(a[0]);
                       auto host = xml::nameprep_domain(a[1]);
                       bool named = user && host;
                       if (named) {
                           auto exists = storage::accounts(db).exists(*user, *host);
                           if (exists && exists.value()) {
                               if (hooks.removing) {
                                   hooks.removing(*user, *host);
                               } else if (auto steps = run_offline_steps(db, cfg, *user, *host);
                                          steps.code != exit_code::ok) {
                                   return steps;
                               }
                           }
                       }
                       auto r = unregister_user(db, cfg, a[0], a[1]);
                       if (r.code == exit_code::ok && named && hooks.removed)
                           hooks.removed(*user, *host);
                       return r;
                   },
                   std::move(done));
           }});
    r.add({"change_password",
           {"user", "host", "password"},
           "set a new password",
           [&cfg, run](const std::vector<std::string>& a, done_fn done) {
               run(
                   [&cfg, a](storage::database& db) {
                       return change_password(db, cfg, a[0], a[1], a[2]);
                   },
                   std::move(done));
           }});
    r.add({"registered_users",
           {"host"},
           "list the accounts of a host",
           [&cfg, run](const std::vector<std::string>& a, done_fn done) {
               run([&cfg, a](storage::database& db) { return registered_users(db, cfg, a[0]); },
                   std::move(done));
           }});
}

}  // namespace server::admin
