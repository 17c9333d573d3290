// archive_store on SQLite: one table, ordered by an AUTOINCREMENT id (see
// migration 3 for why ids must never be reused).
#include "storage/sqlite/database.hpp"
#include "storage/store.hpp"

namespace storage {

namespace {

// SQLite integers are signed 64-bit; "no limit" must not wrap to -1.
std::int64_t sql_limit(std::size_t limit) {
    constexpr auto max = std::size_t(std::numeric_limits<std::int64_t>::max());
    return std::int64_t(limit > max ? max : limit);
}

}  // namespace

result<std::int64_t> archive_store::append(const account_ref& a, std::int64_t when_ms,
                                           std::string_view with, std::string_view value,
                                           std::size_t limit) {
    // The quota check and the insert share one write transaction, so two appends
    // cannot both see room for one more.
    database::transaction tx(db_);
    if (!tx.active()) return error{errc::busy, "database is busy"};
    if (limit != unlimited) {
        auto n = count(a);
        if (!n) return n.error();
        if (n.value() >= limit)
            return error{errc::limit_reached, "the " + store_ + " store of " + a.user + "@" +
                                                  a.host + " holds its maximum of " +
                                                  std::to_string(limit) + " entries"};
    }
    auto st = db_.prepare(
        "INSERT INTO archive (host, username, store, when_ms, with_jid, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) return st.error();
    auto r = st.value()
                 .bind(1, a.host)
                 .bind(2, a.user)
                 .bind(3, store_)
                 .bind(4, when_ms)
                 .bind(5, with)
                 .bind(6, value)
                 .run();
    if (!r) return r.error();
    std::int64_t id = sqlite3_last_insert_rowid(db_.handle());
    // Committed (synchronous=FULL) before the caller learns the id: whatever the
    // caller then tells anyone about the entry, it is already on disk.
    if (auto c = tx.commit(); !c) return c.error();
    return id;
}

result<std::vector<archive_entry>> archive_store::list(const account_ref& a, std::size_t limit,
                                                       std::int64_t after_id) {
    auto st = db_.prepare(
        "SELECT id, when_ms, with_jid, value FROM archive "
        "WHERE host = ?1 AND username = ?2 AND store = ?3 AND id > ?4 ORDER BY id LIMIT ?5");
    if (!st) return st.error();
    st.value()
        .bind(1, a.host)
        .bind(2, a.user)
        .bind(3, store_)
        .bind(4, after_id)
        .bind(5, sql_limit(limit));
    std::vector<archive_entry> out;
    for (;;) {
        auto row = st.value().step();
        if (!row) return row.error();
        if (!row.value()) break;
        out.push_back({st.value().column_int(0), st.value().column_int(1),
                       st.value().column_text(2), st.value().column_text(3)});
    }
    return out;
}

result<std::size_t> archive_store::count(const account_ref& a) {
    auto st = db_.prepare(
        "SELECT COUNT(*) FROM archive WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    auto row = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).step();
    if (!row) return row.error();
    return std::size_t(st.value().column_int(0));
}

result<std::size_t> archive_store::remove_up_to(const account_ref& a, std::int64_t last_id) {
    auto st = db_.prepare(
        "DELETE FROM archive WHERE host = ?1 AND username = ?2 AND store = ?3 AND id <= ?4");
    if (!st) return st.error();
    if (auto r = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).bind(4, last_id).run();
        !r)
        return r.error();
    return std::size_t(sqlite3_changes(db_.handle()));
}

result<std::size_t> archive_store::remove_all(const account_ref& a) {
    auto st = db_.prepare("DELETE FROM archive WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    if (auto r = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).run(); !r)
        return r.error();
    return std::size_t(sqlite3_changes(db_.handle()));
}

}  // namespace storage
