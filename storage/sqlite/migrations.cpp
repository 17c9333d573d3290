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

}  // namespace

const std::vector<migration>& migrations() {
    static const std::vector<migration> all{{1, m0001}, {2, m0002}};
    return all;
}

int latest_schema_version() {
    return migrations().back().version;
}

}  // namespace storage
