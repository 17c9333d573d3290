// Storage by shape, not by feature (DESIGN): modules keep their data in these
// and never write SQL. Every store is scoped to one account and one store name
// ("roster", "privacy", ...). Synchronous; call only on a storage thread.
#pragma once

#include <cstdint>
#include <limits>
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

// One entry of an archive_store.
struct archive_entry {
    std::int64_t id = 0;       // assigned by append; later entries get larger ids
    std::int64_t when_ms = 0;  // milliseconds since the Unix epoch, UTC
    std::string with;          // the other party's JID (the sender of an offline message)
    std::string value;         // the payload, e.g. a serialized stanza
};

// Many entries per account in arrival order: offline messages now, XEP-0313
// message archives later. Ids are never reused, even after removals, so "remove
// up to the last id I handled" never touches an entry appended meanwhile.
class archive_store {
  public:
    static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

    archive_store(database& db, std::string store) : db_(db), store_(std::move(store)) {}
    // Appends and returns the new id. When the account already holds `limit`
    // entries, fails with errc::limit_reached and stores nothing; the check and the
    // insert are one transaction.
    result<std::int64_t> append(const account_ref& a, std::int64_t when_ms, std::string_view with,
                                std::string_view value, std::size_t limit = unlimited);
    // Oldest first: at most `limit` entries with an id greater than `after_id`.
    result<std::vector<archive_entry>> list(const account_ref& a, std::size_t limit = unlimited,
                                            std::int64_t after_id = 0);
    result<std::size_t> count(const account_ref& a);
    // Removes the entries with an id up to and including `last_id`; returns how many.
    result<std::size_t> remove_up_to(const account_ref& a, std::int64_t last_id);
    result<std::size_t> remove_all(const account_ref& a);

  private:
    database& db_;
    std::string store_;
};

}  // namespace storage
