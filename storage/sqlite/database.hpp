// One SQLite connection (WAL, busy timeout, foreign keys, prepared-statement
// cache) plus the migrations that bring the schema up to date on open.
//
// A database object is used by one thread at a time. The server opens one per
// storage thread; WAL lets them read concurrently.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/result.hpp"

namespace storage {

// A prepared statement from the connection's cache, reset on destruction.
class statement {
  public:
    statement(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
    ~statement();
    statement(statement&& o) noexcept : db_(o.db_), st_(std::exchange(o.st_, nullptr)) {}
    statement(const statement&) = delete;

    statement& bind(int idx, std::string_view text);  // 1-based, like SQLite
    statement& bind_blob(int idx, std::string_view bytes);
    statement& bind(int idx, std::int64_t v);
    // SQLITE_ROW -> true, SQLITE_DONE -> false; other codes -> error.
    result<bool> step();
    result<void> run();  // step until done
    std::string column_text(int col) const;
    std::int64_t column_int(int col) const;

  private:
    sqlite3* db_;
    sqlite3_stmt* st_;
};

class database {
  public:
    // Opens (creating if needed) and migrates. ":memory:" works for tests.
    static result<std::unique_ptr<database>> open(const std::string& path);
    ~database();

    // Cached prepared statement for this SQL text.
    result<statement> prepare(std::string_view sql);
    result<void> exec(std::string_view sql);  // for DDL and BEGIN/COMMIT
    int schema_version() const;
    sqlite3* handle() { return db_; }

    // RAII transaction: BEGIN IMMEDIATE; commit() or roll back on destruction.
    //
    // The connections of one process to one file take turns through a lock of
    // their own before BEGIN: SQLite's busy handler only polls, and a
    // connection that keeps writing (one storage thread with a long queue) can
    // starve another past its busy timeout. Other processes (parleyctl) still
    // meet the busy timeout, and a BEGIN that hits it is tried again, once.
    class transaction {
      public:
        explicit transaction(database& db);
        ~transaction();
        // False when BEGIN failed (e.g. the busy timeout passed twice).
        bool active() const { return !done_; }
        result<void> commit();

      private:
        void release();
        database& db_;
        bool done_ = false;
        bool locked_ = false;  // holds db_.writers_
    };

  private:
    explicit database(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
    // Shared by this process's connections to the same file; null for :memory:.
    std::shared_ptr<std::timed_mutex> writers_;
};

}  // namespace storage
