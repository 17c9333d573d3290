// keyval_store and map_store on SQLite.
#include "storage/sqlite/database.hpp"
#include "storage/store.hpp"

namespace storage {

result<std::optional<std::string>> keyval_store::get(const account_ref& a) {
    auto st =
        db_.prepare("SELECT value FROM keyval WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    auto row = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<std::string>();
    return std::optional<std::string>(st.value().column_text(0));
}

result<void> keyval_store::set(const account_ref& a, std::string_view value) {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO keyval (host, username, store, value) VALUES (?1, ?2, ?3, ?4)");
    if (!st) return st.error();
    return st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).bind(4, value).run();
}

result<void> keyval_store::remove(const account_ref& a) {
    auto st = db_.prepare("DELETE FROM keyval WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    return st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).run();
}

result<std::optional<std::string>> map_store::get(const account_ref& a, std::string_view key) {
    auto st = db_.prepare(
        "SELECT value FROM map WHERE host = ?1 AND username = ?2 AND store = ?3 AND key = ?4");
    if (!st) return st.error();
    auto row = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).bind(4, key).step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<std::string>();
    return std::optional<std::string>(st.value().column_text(0));
}

result<void> map_store::set(const account_ref& a, std::string_view key, std::string_view value) {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO map (host, username, store, key, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!st) return st.error();
    return st.value()
        .bind(1, a.host)
        .bind(2, a.user)
        .bind(3, store_)
        .bind(4, key)
        .bind(5, value)
        .run();
}

result<void> map_store::remove(const account_ref& a, std::string_view key) {
    auto st = db_.prepare(
        "DELETE FROM map WHERE host = ?1 AND username = ?2 AND store = ?3 AND key = ?4");
    if (!st) return st.error();
    if (auto r = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).bind(4, key).run(); !r)
        return r;
    if (sqlite3_changes(db_.handle()) == 0) return error{errc::not_found, "no such key"};
    return {};
}

result<std::vector<std::pair<std::string, std::string>>> map_store::all(const account_ref& a) {
    auto st = db_.prepare(
        "SELECT key, value FROM map WHERE host = ?1 AND username = ?2 AND store = ?3 ORDER BY key");
    if (!st) return st.error();
    st.value().bind(1, a.host).bind(2, a.user).bind(3, store_);
    std::vector<std::pair<std::string, std::string>> out;
    for (;;) {
        auto row = st.value().step();
        if (!row) return row.error();
        if (!row.value()) break;
        out.emplace_back(st.value().column_text(0), st.value().column_text(1));
    }
    return out;
}

result<std::size_t> map_store::count(const account_ref& a) {
    auto st =
        db_.prepare("SELECT COUNT(*) FROM map WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    auto row = st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).step();
    if (!row) return row.error();
    return std::size_t(st.value().column_int(0));
}

result<void> map_store::remove_all(const account_ref& a) {
    auto st = db_.prepare("DELETE FROM map WHERE host = ?1 AND username = ?2 AND store = ?3");
    if (!st) return st.error();
    return st.value().bind(1, a.host).bind(2, a.user).bind(3, store_).run();
}

result<std::vector<map_entry>> map_store::everything() {
    auto st = db_.prepare(
        "SELECT host, username, key, value FROM map WHERE store = ?1 ORDER BY host, username, key");
    if (!st) return st.error();
    st.value().bind(1, store_);
    std::vector<map_entry> out;
    for (;;) {
        auto row = st.value().step();
        if (!row) return row.error();
        if (!row.value()) break;
        auto& s = st.value();
        out.push_back({{s.column_text(1), s.column_text(0)}, s.column_text(2), s.column_text(3)});
    }
    return out;
}

}  // namespace storage
