#include "storage/sqlite/database.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "storage/sqlite/migrations.hpp"

namespace storage {

namespace {

error sqlite_error(sqlite3* db, std::string_view what) {
    int code = sqlite3_errcode(db);
    errc c = (code == SQLITE_BUSY || code == SQLITE_LOCKED)      ? errc::busy
             : (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? errc::corrupt
                                                                 : errc::io_error;
    return error{c, std::string(what) + ": " + sqlite3_errmsg(db)};
}

// How long SQLite waits for another connection's write lock.
constexpr int busy_timeout_ms = 5000;

// The writers' lock of one database file, shared by this process's
// connections to it (by canonical path, so "a.db" and "./a.db" share one).
std::shared_ptr<std::timed_mutex> writers_of(const std::string& path) {
    std::error_code ec;
    auto key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) key = path;
    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<std::timed_mutex>> all;
    std::lock_guard lock(mu);
    std::erase_if(all, [](const auto& entry) { return entry.second.expired(); });
    auto& slot = all[key];
    auto writers = slot.lock();
    if (!writers) slot = writers = std::make_shared<std::timed_mutex>();
    return writers;
}

}  // namespace

statement::~statement() {
    if (!st_) return;
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

statement& statement::bind(int idx, std::string_view text) {
    sqlite3_bind_text(st_, idx, text.data(), int(text.size()), SQLITE_TRANSIENT);
    return *this;
}

statement& statement::bind_blob(int idx, std::string_view bytes) {
    sqlite3_bind_blob(st_, idx, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

statement& statement::bind(int idx, std::int64_t v) {
    sqlite3_bind_int64(st_, idx, v);
    return *this;
}

result<bool> statement::step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT) return error{errc::already_exists, sqlite3_errmsg(db_)};
    return sqlite_error(db_, "step");
}

result<void> statement::run() {
    for (;;) {
        auto r = step();
        if (!r) return r.error();
        if (!r.value()) return {};
    }
}

std::string statement::column_text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(st_, col))) : std::string();
}

std::int64_t statement::column_int(int col) const {
    return sqlite3_column_int64(st_, col);
}

result<std::unique_ptr<database>> database::open(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<database> db(new database(raw));
    if (rc != SQLITE_OK) return sqlite_error(raw, "open " + path);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    // FULL: a message the server accepted survives kill -9 and power loss once
    // its transaction committed (DESIGN: Reliability).
    if (auto r = db->exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"); !r) return r.error();
    if (path != ":memory:") {
        db->writers_ = writers_of(path);
        // Turning a new file to WAL needs an exclusive lock, and SQLite does not
        // wait on the busy timeout for it: two processes opening a new database
        // at once (parleyctl beside a starting parleyd) retry here for a while.
        result<void> wal;
        for (int attempt = 0; attempt < 100; ++attempt) {
            wal = db->exec("PRAGMA journal_mode=WAL;");
            if (wal || sqlite3_errcode(db->handle()) != SQLITE_BUSY) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!wal) return wal.error();
    }

    int current = db->schema_version();
    int latest = latest_schema_version();
    if (current > latest)
        return error{errc::corrupt, "database schema version " + std::to_string(current) +
                                        " is newer than this server knows (" +
                                        std::to_string(latest) + "): upgrade Parley"};
    for (const auto& m : migrations()) {
        if (m.version <= current) continue;
        transaction tx(*db);
        if (!tx.active()) return error{errc::busy, "database is busy: cannot migrate the schema"};
        // Another process (parleyctl beside parleyd, say) may have migrated while
        // this one waited for the write lock: read the version again under it.
        current = db->schema_version();
        if (m.version <= current) continue;
        if (auto r = db->exec(m.sql); !r) return r.error();
        if (auto r = db->exec("PRAGMA user_version=" + std::to_string(m.version)); !r)
            return r.error();
        if (auto r = tx.commit(); !r) return r.error();
    }
    return db;
}

database::~database() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
}

result<statement> database::prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &st,
                               nullptr) != SQLITE_OK)
            return sqlite_error(db_, "prepare");
        it = cache_.emplace(std::string(sql), st).first;
    }
    return statement(db_, it->second);
}

result<void> database::exec(std::string_view sql) {
    std::string text(sql);
    char* msg = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        std::string m = msg ? msg : "unknown error";
        sqlite3_free(msg);
        return error{errc::io_error, m};
    }
    return {};
}

int database::schema_version() const {
    sqlite3_stmt* st = nullptr;
    int v = 0;
    if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

database::transaction::transaction(database& db) : db_(db) {
    // Bounded: a writer of this process that holds the lock for longer than the
    // busy timeout (it should never) costs a wait, not a deadlock; SQLite's own
    // lock still keeps the writers apart.
    if (db_.writers_)
        locked_ = db_.writers_->try_lock_for(std::chrono::milliseconds(busy_timeout_ms));
    // IMMEDIATE takes the write lock now, so a conflicting writer waits on the busy
    // timeout here instead of failing half-way through the transaction.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (db_.exec("BEGIN IMMEDIATE")) return;
        if (sqlite3_errcode(db_.handle()) != SQLITE_BUSY) break;
    }
    done_ = true;
    release();
}

database::transaction::~transaction() {
    if (!done_) (void)db_.exec("ROLLBACK");
    release();
}

void database::transaction::release() {
    if (locked_) db_.writers_->unlock();
    locked_ = false;
}

result<void> database::transaction::commit() {
    if (done_) return error{errc::io_error, "transaction not active"};
    done_ = true;
    auto r = db_.exec("COMMIT");
    // A failed COMMIT can leave the transaction open, and every later statement
    // on this connection would run inside it: end it here.
    if (!r && !sqlite3_get_autocommit(db_.handle())) (void)db_.exec("ROLLBACK");
    release();
    return r;
}

}  // namespace storage
