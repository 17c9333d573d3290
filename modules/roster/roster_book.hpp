// The rosters of the accounts (RFC 6121 §2), shared by the roster and presence
// modules. Every read and change of one account's roster runs on that
// account's storage strand, so changes apply in order, each is committed to
// SQLite before anyone hears of it, and the copy kept in memory for accounts
// in use needs no lock of its own.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "modules/common/push_audience.hpp"
#include "modules/roster/roster_item.hpp"
#include "server/hooks/module_api.hpp"
#include "storage/sqlite/database.hpp"

namespace modules {

struct account_roster {
    std::map<std::string, roster_item> items;  // by the contact's bare JID
    long long version = 0;                     // RFC 6121 §2.6 roster version
};

class roster_book;

// The stored roster, read directly (on a storage thread); nullopt on failure.
std::optional<account_roster> read_roster(storage::database& db, const xml::jid& account);

// For an account about to be removed with the server down: every local
// contact in its roster (on one of `hosts`) gets its item for the account set
// to subscription 'none' without pending requests or pre-approval, and a new
// roster version, in one transaction. Nothing is pushed (no server runs).
storage::result<void> end_local_subscriptions(storage::database& db, const xml::jid& account,
                                              const std::vector<std::string>& hosts);

// One account's roster on its strand, for the length of one job.
class roster_txn {
  public:
    roster_txn(roster_book& book, storage::database& db, xml::jid account, account_roster& r)
        : book_(book), db_(db), account_(std::move(account)), roster_(r) {}

    const xml::jid& account() const { return account_; }
    const account_roster& roster() const { return roster_; }
    const roster_item* find(const xml::jid& contact) const;
    // Contacts shown in the roster (pending-only records are not).
    std::size_t shown() const;
    // Whether a contact not yet shown may join (the roster's size limit).
    bool has_room() const;
    std::size_t max_items() const;

    // Store the item (committed before returning); when it is (or was) visible
    // in the roster, bump the version and push it to interested resources.
    bool save(const roster_item& item);
    // Forget the contact entirely; pushes subscription='remove' if it was shown.
    bool erase(const xml::jid& contact);

  private:
    bool write(const roster_item* item, const xml::jid& contact, bool visible);

    roster_book& book_;
    storage::database& db_;
    xml::jid account_;
    account_roster& roster_;
};

class roster_book {
  public:
    explicit roster_book(server::module_context& ctx) : ctx_(ctx) {}

    // Runs `fn` on the account's strand with its roster loaded; `fn` gets null
    // when the roster cannot be read (the caller answers with an error).
    using job = std::function<void(roster_txn*)>;
    void with(const xml::jid& account, job fn);

    // Runs `fn` on the account's strand, in order with its roster jobs, without
    // loading the roster.
    void in_order(const xml::jid& account, std::function<void()> fn);

    // A resource that asked for the roster gets pushes (RFC 6121 §2.1.6).
    void mark_interested(const xml::jid& full);
    // A resource ended; when the account has none left its roster leaves memory.
    void resource_gone(const xml::jid& full);
    // Drop the in-memory copy (the account was removed).
    void forget(const xml::jid& account);

    // The most contacts a roster may show (the roster module's max_items).
    void set_max_items(std::size_t n) { max_items_ = n; }
    std::size_t max_items() const { return max_items_; }

  private:
    friend class roster_txn;
    std::shared_ptr<account_roster> load(storage::database& db, const xml::jid& account);
    void push(const xml::jid& account, const xml::element_ptr& item, long long version);

    server::module_context& ctx_;
    std::mutex mu_;  // guards the cache map, not the rosters (those belong to strands)
    std::unordered_map<std::string, std::shared_ptr<account_roster>> cache_;
    push_audience audience_{"push"};
    std::size_t max_items_ = 1000;
};

}  // namespace modules
