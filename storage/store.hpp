// Storage by shape, not by feature (DESIGN): modules keep their data in these
// and never write SQL. Every store is scoped to one account and one store name
// ("roster", "privacy", ...). Synchronous; call only on a storage thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/result.hpp"

namespace storage {

class database;

struct account_ref {
    std::string user;
    std::string host;
};

// One value per account: a version counter, a settings blob.
class keyval_store {
  public:
    keyval_store(database& db, std::string store) : db_(db), store_(std::move(store)) {}
    result<std::optional<std::string>> get(const account_ref& a);
    result<void> set(const account_ref& a, std::string_view value);
    result<void> remove(const account_ref& a);

  private:
    database& db_;
    std::string store_;
};

struct map_entry {
    account_ref account;
    std::string key;
    std::string value;
};

// Many keyed values per account: roster items by JID, say.
class map_store {
  public:
    map_store(database& db, std::string store) : db_(db), store_(std::move(store)) {}
    result<std::optional<std::string>> get(const account_ref& a, std::string_view key);
    result<void> set(const account_ref& a, std::string_view key, std::string_view value);
    // not_found when there was no such key.
    result<void> remove(const account_ref& a, std::string_view key);
    result<std::vector<std::pair<std::string, std::string>>> all(const account_ref& a);  // by key
    result<std::size_t> count(const account_ref& a);
    result<void> remove_all(const account_ref& a);
    // Every account's entries, for small stores a module keeps whole in memory
    // (block lists).
    result<std::vector<map_entry>> everything();

  private:
    database& db_;
    std::string store_;
};

}  // namespace storage
