#include "storage/sqlite/migrations.hpp"

namespace storage {

namespace {

// 1: accounts and their SCRAM secrets (RFC 5803 authPassword), one row per hash.
constexpr std::string_view m0001 = R"sql(
CREATE TABLE accounts (
    host       TEXT NOT NULL,
    username   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (host, username)
) WITHOUT ROWID;

CREATE TABLE credentials (
    host          TEXT NOT NULL,
    username      TEXT NOT NULL,
    mechanism     TEXT NOT NULL,
    auth_password TEXT NOT NULL,
    PRIMARY KEY (host, username, mechanism),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
) WITHOUT ROWID;
)sql";

// 2: the two generic shapes modules store their data in (DESIGN: storage by
// shape). keyval: one value per (account, store); map: many keyed values.
constexpr std::string_view m0002 = R"sql(
CREATE TABLE keyval (
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    store    TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (host, username, store)
) WITHOUT ROWID;

CREATE TABLE map (
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    store    TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (host, username, store, key)
) WITHOUT ROWID;
)sql";

// 3: the archive shape: entries per (account, store) in arrival order, with a
// timestamp and the other party's JID (offline messages, later XEP-0313 MAM).
// AUTOINCREMENT: ids are never reused, so removing "up to id N" after delivering
// N can never take a newer entry that got a recycled id.
constexpr std::string_view m0003 = R"sql(
CREATE TABLE archive (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    store    TEXT NOT NULL,
    when_ms  INTEGER NOT NULL,
    with_jid TEXT NOT NULL,
    value    TEXT NOT NULL
);

CREATE INDEX archive_by_account ON archive (host, username, store, id);
)sql";

}  // namespace

const std::vector<migration>& migrations() {
    static const std::vector<migration> all{{1, m0001}, {2, m0002}, {3, m0003}};
    return all;
}

int latest_schema_version() {
    return migrations().back().version;
}

}  // namespace storage
