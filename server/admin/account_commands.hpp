// Account commands that need only the database: run by the live server on a
// storage thread, and by parleyctl directly when the server is down.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/admin/registry.hpp"
#include "server/config.hpp"
#include "storage/result.hpp"
#include "storage/sqlite/database.hpp"

namespace server::admin {

// The account name as it is stored: nodeprep'd, on a served host. `error` says
// why not, for the operator.
struct account_name {
    std::string user;
    std::string host;
    std::string error;
};
account_name prepare_account(const config& cfg, const std::string& user, const std::string& host);

reply register_user(storage::database& db, const config& cfg, const std::string& user,
                    const std::string& host, const std::string& password);
reply unregister_user(storage::database& db, const config& cfg, const std::string& user,
                      const std::string& host);
reply change_password(storage::database& db, const config& cfg, const std::string& user,
                      const std::string& host, const std::string& password);
reply registered_users(storage::database& db, const config& cfg, const std::string& host);

// Called just before an existing account is removed, on the storage thread
// (modules say goodbye to its contacts while its data is still there), and
// after it was removed (the server ends its sessions and modules forget it).
// parleyctl, with the server down, has neither.
using account_fn = std::function<void(const std::string& user, const std::string& host)>;
struct removal_hooks {
    account_fn removing;
    account_fn removed;
};

// Database work a module needs when an account is removed with the server
// down (parleyctl on the database): what its account_removing handler would
// have set off live, such as ending the contacts' subscriptions. Runs just
// before the account's rows go; an error stops the removal.
using offline_removal_step = std::function<storage::result<void>(
    storage::database& db, const config& cfg, const std::string& user, const std::string& host)>;
// One step per name (registering a name again replaces it), for the process.
// Modules register theirs from module_info::commands, which both front ends
// call; unregister runs them only when it has no removal hooks (no server).
void add_offline_removal_step(const std::string& name, offline_removal_step step);

// Declares register, unregister, change_password and registered_users.
void add_account_commands(registry& r, const config& cfg, storage_runner run,
                          removal_hooks hooks = {});

}  // namespace server::admin
