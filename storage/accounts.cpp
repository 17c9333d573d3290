#include "storage/accounts.hpp"

#include <ctime>

#include "storage/sqlite/database.hpp"

namespace storage {

namespace {

constexpr scram_hash all_hashes[] = {scram_hash::sha1, scram_hash::sha256, scram_hash::sha512};

// PBKDF2 is deliberately slow: derive before taking SQLite's write lock, so the
// lock is held only for the inserts.
std::vector<scram_secret> derive_all(std::string_view password, std::uint32_t iterations) {
    std::vector<scram_secret> out;
    for (auto h : all_hashes) out.push_back(derive_secret(h, password, iterations));
    return out;
}

result<void> write_secrets(database& db, std::string_view user, std::string_view host,
                           const std::vector<scram_secret>& secrets) {
    for (const auto& secret : secrets) {
        // One cached statement, reset between rows when `st` goes out of scope.
        auto st = db.prepare(
            "INSERT OR REPLACE INTO credentials (host, username, mechanism, auth_password) "
            "VALUES (?1, ?2, ?3, ?4)");
        if (!st) return st.error();
        auto r = st.value()
                     .bind(1, host)
                     .bind(2, user)
                     .bind(3, mechanism_name(secret.hash))
                     .bind(4, to_auth_password(secret))
                     .run();
        if (!r) return r;
    }
    return {};
}

}  // namespace

result<void> accounts::create(std::string_view user, std::string_view host,
                              std::string_view password, std::uint32_t iterations) {
    auto secrets = derive_all(password, iterations);
    database::transaction tx(db_);
    if (!tx.active()) return error{errc::busy, "database is busy"};
    auto ins = db_.prepare("INSERT INTO accounts (host, username, created_at) VALUES (?1, ?2, ?3)");
    if (!ins) return ins.error();
    auto r =
        ins.value().bind(1, host).bind(2, user).bind(3, std::int64_t(std::time(nullptr))).run();
    if (!r) {
        if (r.error().code == errc::already_exists)
            return error{errc::already_exists, "account exists"};
        return r;
    }
    if (auto w = write_secrets(db_, user, host, secrets); !w) return w;
    return tx.commit();
}

result<void> accounts::remove(std::string_view user, std::string_view host) {
    database::transaction tx(db_);
    if (!tx.active()) return error{errc::busy, "database is busy"};
    auto st = db_.prepare("DELETE FROM accounts WHERE host = ?1 AND username = ?2");
    if (!st) return st.error();
    if (auto r = st.value().bind(1, host).bind(2, user).run(); !r) return r;
    if (sqlite3_changes(db_.handle()) == 0) return error{errc::not_found, "no such account"};
    // Everything modules kept for the account goes with it, in the same
    // transaction: no orphaned roster or offline rows for a reused name.
    for (auto sql : {"DELETE FROM keyval WHERE host = ?1 AND username = ?2",
                     "DELETE FROM map WHERE host = ?1 AND username = ?2",
                     "DELETE FROM archive WHERE host = ?1 AND username = ?2"}) {
        auto del = db_.prepare(sql);
        if (!del) return del.error();
        if (auto r = del.value().bind(1, host).bind(2, user).run(); !r) return r;
    }
    return tx.commit();
}

result<void> accounts::set_password(std::string_view user, std::string_view host,
                                    std::string_view password, std::uint32_t iterations) {
    auto secrets = derive_all(password, iterations);
    database::transaction tx(db_);
    if (!tx.active()) return error{errc::busy, "database is busy"};
    auto found = exists(user, host);
    if (!found) return found.error();
    if (!found.value()) return error{errc::not_found, "no such account"};
    if (auto w = write_secrets(db_, user, host, secrets); !w) return w;
    return tx.commit();
}

result<bool> accounts::exists(std::string_view user, std::string_view host) {
    auto st = db_.prepare("SELECT 1 FROM accounts WHERE host = ?1 AND username = ?2");
    if (!st) return st.error();
    return st.value().bind(1, host).bind(2, user).step();
}

result<std::vector<std::string>> accounts::list(std::string_view host) {
    auto st = db_.prepare("SELECT username FROM accounts WHERE host = ?1 ORDER BY username");
    if (!st) return st.error();
    st.value().bind(1, host);
    std::vector<std::string> out;
    for (;;) {
        auto row = st.value().step();
        if (!row) return row.error();
        if (!row.value()) break;
        out.push_back(st.value().column_text(0));
    }
    return out;
}

result<std::optional<scram_secret>> accounts::secret(std::string_view user, std::string_view host,
                                                     scram_hash hash) {
    auto st = db_.prepare(
        "SELECT auth_password FROM credentials WHERE host = ?1 AND username = ?2 AND mechanism = "
        "?3");
    if (!st) return st.error();
    auto row = st.value().bind(1, host).bind(2, user).bind(3, mechanism_name(hash)).step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<scram_secret>();
    return parse_auth_password(st.value().column_text(0));
}

}  // namespace storage
