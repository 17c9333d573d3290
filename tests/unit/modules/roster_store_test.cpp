// Roster-shaped writes from two connections to one file, as the server's two
// storage threads make them: one transaction per item and its version. Each
// writer keeps the other busy, so SQLite's polling busy handler alone can let
// one of them starve past its timeout; the connections of a process take turns
// through a lock of their own, and every write goes through.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/database.hpp"
#include "storage/store.hpp"
#include "tests/support/test_dir.hpp"

namespace {

TEST(roster_store, two_connections_writing_at_once_never_starve) {
    auto dir = test_support::fresh_test_dir("roster-store");
    auto path = (dir / "test.db").string();
    constexpr int writers = 2, writes = 150;
    std::vector<std::unique_ptr<storage::database>> dbs;
    for (int i = 0; i < writers; ++i) {
        auto db = storage::database::open(path);
        ASSERT_TRUE(db) << db.error().message;
        // A busy timeout far below one commit's time: only taking turns helps.
        sqlite3_busy_timeout(db.value()->handle(), 1);
        dbs.push_back(std::move(db.value()));
    }
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < writers; ++i)
        threads.emplace_back([&, i] {
            storage::account_ref account{"user" + std::to_string(i), "example.com"};
            for (int n = 0; n < writes; ++n) {
                storage::database::transaction tx(*dbs[i]);
                bool ok =
                    tx.active() &&
                    storage::map_store(*dbs[i], "roster")
                        .set(account, "contact" + std::to_string(n) + "@example.com", "<item/>") &&
                    storage::keyval_store(*dbs[i], "roster_version")
                        .set(account, std::to_string(n + 1)) &&
                    tx.commit();
                if (!ok) ++failed;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failed.load(), 0);
    for (int i = 0; i < writers; ++i) {
        storage::account_ref account{"user" + std::to_string(i), "example.com"};
        auto n = storage::map_store(*dbs[0], "roster").count(account);
        ASSERT_TRUE(n);
        EXPECT_EQ(n.value(), std::size_t(writes));
    }
    dbs.clear();
    std::filesystem::remove_all(dir);
}

}  // namespace
