#include "modules/roster/roster_book.hpp"

#include <algorithm>

#include "server/log.hpp"
#include "server/storage_executor.hpp"
#include "storage/store.hpp"
#include "xml/writer.hpp"

namespace modules {

namespace {

constexpr std::string_view items_store = "roster";
constexpr std::string_view version_store = "roster_version";

storage::account_ref account_of(const xml::jid& j) {
    return {j.local(), j.domain()};
}

// The item (or its removal, for null) and, when given, the new roster
// version: inside the caller's transaction.
storage::result<void> put_item(storage::database& db, const storage::account_ref& account,
                               const std::string& key, const roster_item* item,
                               std::optional<long long> version) {
    storage::map_store items(db, std::string(items_store));
    auto r = item ? items.set(account, key, item->serialize()) : items.remove(account, key);
    if (!r && r.error().code != storage::errc::not_found) return r;
    if (version)
        return storage::keyval_store(db, std::string(version_store))
            .set(account, std::to_string(*version));
    return {};
}

}  // namespace

const roster_item* roster_txn::find(const xml::jid& contact) const {
    auto it = roster_.items.find(contact.bare_str());
    return it == roster_.items.end() ? nullptr : &it->second;
}

std::size_t roster_txn::shown() const {
    std::size_t n = 0;
    for (const auto& [key, item] : roster_.items) n += item.in_roster ? 1 : 0;
    return n;
}

std::size_t roster_txn::max_items() const {
    return book_.max_items();
}

bool roster_txn::has_room() const {
    return shown() < book_.max_items();
}

bool roster_txn::save(const roster_item& item) {
    // Only what clients see bumps the version and is pushed (RFC 6121 §2.1.6);
    // a pending inbound request, say, is the server's own business.
    const auto* old = find(item.jid);
    bool was_shown = old && old->in_roster;
    bool visible = item.in_roster != was_shown ||
                   (item.in_roster && xml::to_string(*item.to_element(), ns_roster) !=
                                          xml::to_string(*old->to_element(), ns_roster));
    return write(&item, item.jid, visible);
}

bool roster_txn::erase(const xml::jid& contact) {
    const auto* old = find(contact);
    if (!old) return true;
    return write(nullptr, contact, old->in_roster);
}

bool roster_txn::write(const roster_item* item, const xml::jid& contact, bool visible) {
    auto account = account_of(account_);
    auto key = contact.bare_str();
    long long version = roster_.version + (visible ? 1 : 0);
    auto failed = [&](std::string_view what) {
        server::log::error("roster", "cannot store the roster item of ", account_.str(), " for ",
                           key, ": ", what, ": ", sqlite3_errmsg(db_.handle()));
        return false;
    };
    {
        storage::database::transaction tx(db_);
        if (!tx.active()) return failed("begin");
        if (!put_item(db_, account, key, item,
                      visible ? std::optional<long long>(version) : std::nullopt))
            return failed("item");
        if (!tx.commit()) return failed("commit");
    }
    roster_.version = version;
    if (item)
        roster_.items[key] = *item;
    else
        roster_.items.erase(key);
    if (!visible) return true;
    // A contact that left the roster (or only ever was a pending request that is
    // now shown) is pushed the way RFC 6121 §2.1.6 describes.
    auto wire =
        item && item->in_roster ? item->to_element() : roster_item::removed_element(contact);
    book_.push(account_, wire, version);
    return true;
}

void roster_book::with(const xml::jid& account, job fn) {
    auto bare = account.bare();
    ctx_.storage().post_ordered(bare.str(),
                                [this, bare, fn = std::move(fn)](storage::database& db) {
                                    auto roster = load(db, bare);
                                    if (!roster) return fn(nullptr);
                                    roster_txn txn(*this, db, bare, *roster);
                                    fn(&txn);
                                });
}

void roster_book::in_order(const xml::jid& account, std::function<void()> fn) {
    ctx_.storage().post_ordered(account.bare_str(),
                                [fn = std::move(fn)](storage::database&) { fn(); });
}

std::optional<account_roster> read_roster(storage::database& db, const xml::jid& account) {
    auto ref = account_of(account);
    auto items = storage::map_store(db, std::string(items_store)).all(ref);
    auto version = storage::keyval_store(db, std::string(version_store)).get(ref);
    if (!items || !version) {
        server::log::error("roster", "cannot read the roster of ", account.str(), ": ",
                           !items ? items.error().message : version.error().message);
        return std::nullopt;
    }
    account_roster roster;
    roster.version = std::stoll(version.value().value_or("0"));
    for (const auto& [contact, value] : items.value()) {
        auto item = roster_item::deserialize(value);
        if (!item) {
            server::log::warn("roster", "unreadable roster item of ", account.str(), " for ",
                              contact);
            continue;
        }
        roster.items.emplace(contact, std::move(*item));
    }
    return roster;
}

storage::result<void> end_local_subscriptions(storage::database& db, const xml::jid& account,
                                              const std::vector<std::string>& hosts) {
    auto roster = read_roster(db, account);
    if (!roster) return storage::error{storage::errc::io_error, "cannot read the roster"};
    const auto me = account.bare_str();
    storage::database::transaction tx(db);
    if (!tx.active()) return storage::error{storage::errc::busy, "database is busy"};
    for (const auto& [key, mine] : roster->items) {
        const auto& contact = mine.jid;
        bool local = std::find(hosts.begin(), hosts.end(), contact.domain()) != hosts.end();
        if (!local || contact.local().empty() || contact.bare_str() == me) continue;
        auto ref = account_of(contact);
        auto stored = storage::map_store(db, std::string(items_store)).get(ref, me);
        if (!stored) return stored.error();
        if (!stored.value()) continue;  // the contact keeps nothing for the account
        auto theirs = roster_item::deserialize(*stored.value());
        if (!theirs) continue;  // unreadable: left as it is (read_roster warns of it)
        // What the account's 'unsubscribe' and 'unsubscribed' would have done
        // (RFC 6121 §3.3.3 and §3.2.3, Appendix A.3.2 and A.3.4): no
        // subscription either way and no request pending. A pre-approval for
        // the name goes too: whoever registers it next is someone else.
        auto before = *theirs;
        theirs->state = sub_state{};
        theirs->approved = false;
        theirs->request_status.clear();
        if (before.state == theirs->state && !before.approved) continue;
        // The item stays in the contact's roster with subscription 'none', as
        // the live removal leaves it (only the contact removes its items); a
        // record that only held a request from the account is forgotten.
        bool keep = theirs->in_roster;
        std::optional<long long> version;
        if (theirs->in_roster) {
            auto current = storage::keyval_store(db, std::string(version_store)).get(ref);
            if (!current) return current.error();
            version = std::stoll(current.value().value_or("0")) + 1;
        }
        if (auto r = put_item(db, ref, me, keep ? &*theirs : nullptr, version); !r) return r;
    }
    return tx.commit();
}

std::shared_ptr<account_roster> roster_book::load(storage::database& db, const xml::jid& account) {
    auto key = account.str();
    {
        std::lock_guard lock(mu_);
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    }
    auto read = read_roster(db, account);
    if (!read) return nullptr;
    auto roster = std::make_shared<account_roster>(std::move(*read));
    // Kept only while the account has resources: others are read when needed.
    if (!ctx_.bound_resources(account).empty()) {
        std::lock_guard lock(mu_);
        cache_.emplace(key, roster);
    }
    return roster;
}

void roster_book::mark_interested(const xml::jid& full) {
    audience_.join(full);
}

void roster_book::resource_gone(const xml::jid& full) {
    audience_.leave(full);
    // On the strand, after any job still running for the account.
    auto bare = full.bare();
    ctx_.storage().post_ordered(bare.str(), [this, bare](storage::database&) {
        if (!ctx_.bound_resources(bare).empty()) return;
        std::lock_guard lock(mu_);
        cache_.erase(bare.str());
    });
}

void roster_book::forget(const xml::jid& account) {
    auto bare = account.bare();
    ctx_.storage().post_ordered(bare.str(), [this, bare](storage::database&) {
        std::lock_guard lock(mu_);
        cache_.erase(bare.str());
    });
}

void roster_book::push(const xml::jid& account, const xml::element_ptr& item, long long version) {
    audience_.push(
        ctx_, account,
        xml::builder(ns_roster, "query").attr("ver", std::to_string(version)).child(item).done());
}

}  // namespace modules
