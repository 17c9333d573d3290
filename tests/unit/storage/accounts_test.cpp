// Accounts on real SQLite files: CRUD, persistence, migrations, concurrency.
#include "storage/accounts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/sqlite/database.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/store.hpp"
#include "tests/support/test_dir.hpp"

namespace storage {
namespace {

class temp_db : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = test_support::fresh_test_dir("storage");
        path_ = (dir_ / "test.db").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::unique_ptr<database> open() {
        auto db = database::open(path_);
        EXPECT_TRUE(db) << (db ? "" : db.error().message);
        return db ? std::move(db.value()) : nullptr;
    }

    std::filesystem::path dir_;
    std::string path_;
};

TEST_F(temp_db, create_list_exists_remove) {
    auto db = open();
    accounts a(*db);
    ASSERT_TRUE(a.create("bob", "example.com", "pw"));
    ASSERT_TRUE(a.create("alice", "example.com", "pw"));
    ASSERT_TRUE(a.create("alice", "other.example", "pw"));
    auto list = a.list("example.com");
    ASSERT_TRUE(list);
    EXPECT_EQ(list.value(), (std::vector<std::string>{"alice", "bob"}));
    EXPECT_TRUE(a.exists("alice", "example.com").value());
    EXPECT_FALSE(a.exists("carol", "example.com").value());
    ASSERT_TRUE(a.remove("alice", "example.com"));
    EXPECT_FALSE(a.exists("alice", "example.com").value());
    EXPECT_TRUE(a.exists("alice", "other.example").value());
    // The credentials went with the account (ON DELETE CASCADE).
    auto s = a.secret("alice", "example.com", scram_hash::sha256);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s.value());
}

TEST_F(temp_db, duplicate_and_missing_accounts_are_errors) {
    auto db = open();
    accounts a(*db);
    ASSERT_TRUE(a.create("alice", "example.com", "pw"));
    auto again = a.create("alice", "example.com", "pw2");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, errc::already_exists);
    auto gone = a.remove("nobody", "example.com");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, errc::not_found);
    auto pw = a.set_password("nobody", "example.com", "x");
    ASSERT_FALSE(pw);
    EXPECT_EQ(pw.error().code, errc::not_found);
    // The failed create left the first password in place.
    auto s = a.secret("alice", "example.com", scram_hash::sha1);
    ASSERT_TRUE(s && s.value());
    EXPECT_TRUE(verify_password(*s.value(), "pw"));
}

TEST_F(temp_db, one_secret_per_hash_and_no_plaintext) {
    auto db = open();
    accounts a(*db);
    ASSERT_TRUE(a.create("alice", "example.com", "hunter2-secret", 4096));
    for (auto h : {scram_hash::sha1, scram_hash::sha256, scram_hash::sha512}) {
        auto s = a.secret("alice", "example.com", h);
        ASSERT_TRUE(s && s.value());
        EXPECT_EQ(s.value()->hash, h);
        EXPECT_EQ(s.value()->iterations, 4096u);
        EXPECT_TRUE(verify_password(*s.value(), "hunter2-secret"));
    }
    db.reset();
    // The password itself is nowhere in the file.
    std::string bytes;
    for (const auto& f : std::filesystem::directory_iterator(dir_)) {
        std::ifstream in(f.path(), std::ios::binary);
        bytes.append(std::istreambuf_iterator<char>(in), {});
    }
    EXPECT_EQ(bytes.find("hunter2-secret"), std::string::npos);
}

TEST_F(temp_db, set_password_replaces_every_secret) {
    auto db = open();
    accounts a(*db);
    ASSERT_TRUE(a.create("alice", "example.com", "old"));
    ASSERT_TRUE(a.set_password("alice", "example.com", "new"));
    for (auto h : {scram_hash::sha1, scram_hash::sha256, scram_hash::sha512}) {
        auto s = a.secret("alice", "example.com", h);
        ASSERT_TRUE(s && s.value());
        EXPECT_TRUE(verify_password(*s.value(), "new"));
        EXPECT_FALSE(verify_password(*s.value(), "old"));
    }
}

TEST_F(temp_db, data_survives_reopening_and_migrations_run_once) {
    {
        auto db = open();
        EXPECT_EQ(db->schema_version(), latest_schema_version());
        ASSERT_TRUE(accounts(*db).create("alice", "example.com", "pw"));
    }
    auto db = open();
    EXPECT_EQ(db->schema_version(), latest_schema_version());
    EXPECT_TRUE(accounts(*db).exists("alice", "example.com").value());
}

TEST_F(temp_db, a_newer_schema_is_refused_with_both_versions) {
    {
        auto db = open();
        ASSERT_TRUE(db->exec("PRAGMA user_version=999"));
    }
    auto db = database::open(path_);
    ASSERT_FALSE(db);
    EXPECT_NE(db.error().message.find("999"), std::string::npos) << db.error().message;
    auto latest = "(" + std::to_string(latest_schema_version()) + ")";
    EXPECT_NE(db.error().message.find(latest), std::string::npos) << db.error().message;
}

TEST_F(temp_db, two_connections_write_concurrently) {
    open();  // create and migrate first
    auto work = [this](const std::string& prefix, int* failures) {
        auto db = database::open(path_);
        if (!db) {
            ++*failures;
            return;
        }
        accounts a(*db.value());
        for (int i = 0; i < 200; ++i)
            if (!a.create(prefix + std::to_string(i), "example.com", "pw", 4096)) ++*failures;
    };
    int f1 = 0, f2 = 0;
    std::thread t1(work, "a", &f1), t2(work, "b", &f2);
    t1.join();
    t2.join();
    EXPECT_EQ(f1, 0);
    EXPECT_EQ(f2, 0);
    auto db = open();
    EXPECT_EQ(accounts(*db).list("example.com").value().size(), 400u);
}

// Two processes opening a new database at once (parleyctl register twice, or
// beside a starting parleyd) must not both run the migrations.
TEST_F(temp_db, concurrent_first_opens_migrate_once) {
    for (int round = 0; round < 5; ++round) {
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
        std::vector<std::thread> openers;
        std::atomic<int> failures{0};
        for (int i = 0; i < 4; ++i)
            openers.emplace_back([&] {
                auto db = database::open(path_);
                if (!db) {
                    ++failures;
                    ADD_FAILURE() << db.error().message;
                }
            });
        for (auto& t : openers) t.join();
        EXPECT_EQ(failures.load(), 0) << "round " << round;
        EXPECT_EQ(open()->schema_version(), latest_schema_version());
    }
}

TEST_F(temp_db, keyval_and_map_stores) {
    auto db = open();
    account_ref alice{"alice", "example.com"}, bob{"bob", "example.com"};
    keyval_store ver(*db, "roster_version");
    EXPECT_FALSE(ver.get(alice).value());
    ASSERT_TRUE(ver.set(alice, "3"));
    EXPECT_EQ(ver.get(alice).value().value_or(""), "3");
    EXPECT_FALSE(ver.get(bob).value());
    map_store roster(*db, "roster"), other(*db, "other");
    ASSERT_TRUE(roster.set(alice, "b@x", "<item/>"));
    ASSERT_TRUE(roster.set(alice, "a@x", "<item2/>"));
    ASSERT_TRUE(other.set(alice, "a@x", "elsewhere"));
    auto all = roster.all(alice);
    ASSERT_TRUE(all);
    ASSERT_EQ(all.value().size(), 2u);
    EXPECT_EQ(all.value()[0].first, "a@x");
    EXPECT_EQ(roster.count(alice).value(), 2u);
    EXPECT_EQ(roster.count(bob).value(), 0u);
    EXPECT_EQ(roster.get(alice, "b@x").value().value_or(""), "<item/>");
    ASSERT_TRUE(roster.remove(alice, "b@x"));
    EXPECT_EQ(roster.remove(alice, "b@x").error().code, errc::not_found);
    ASSERT_TRUE(roster.remove_all(alice));
    EXPECT_EQ(roster.count(alice).value(), 0u);
    EXPECT_EQ(other.count(alice).value(), 1u);
}

TEST_F(temp_db, map_store_lists_every_accounts_entries_of_one_store) {
    auto db = open();
    account_ref alice{"alice", "example.com"}, bob{"bob", "example.org"};
    map_store blocks(*db, "blocklist"), other(*db, "other");
    ASSERT_TRUE(blocks.set(alice, "spam@x", ""));
    ASSERT_TRUE(blocks.set(bob, "troll@y", "v"));
    ASSERT_TRUE(other.set(alice, "not@this", ""));
    auto all = blocks.everything();
    ASSERT_TRUE(all);
    ASSERT_EQ(all.value().size(), 2u);
    EXPECT_EQ(all.value()[0].account.user, "alice");
    EXPECT_EQ(all.value()[0].account.host, "example.com");
    EXPECT_EQ(all.value()[0].key, "spam@x");
    EXPECT_EQ(all.value()[1].account.host, "example.org");
    EXPECT_EQ(all.value()[1].value, "v");
}

TEST_F(temp_db, removing_an_account_removes_its_module_data) {
    auto db = open();
    accounts a(*db);
    ASSERT_TRUE(a.create("alice", "example.com", "pw"));
    ASSERT_TRUE(a.create("bob", "example.com", "pw"));
    account_ref alice{"alice", "example.com"}, bob{"bob", "example.com"};
    map_store roster(*db, "roster");
    keyval_store ver(*db, "roster_version");
    ASSERT_TRUE(roster.set(alice, "bob@example.com", "<item/>"));
    ASSERT_TRUE(roster.set(bob, "alice@example.com", "<item/>"));
    ASSERT_TRUE(ver.set(alice, "1"));
    ASSERT_TRUE(a.remove("alice", "example.com"));
    EXPECT_EQ(roster.count(alice).value(), 0u);
    EXPECT_FALSE(ver.get(alice).value());
    EXPECT_EQ(roster.count(bob).value(), 1u);
}

TEST(memory_db, works_in_memory) {
    auto db = database::open(":memory:");
    ASSERT_TRUE(db);
    accounts a(*db.value());
    ASSERT_TRUE(a.create("alice", "example.com", "pw"));
    EXPECT_TRUE(a.exists("alice", "example.com").value());
}

}  // namespace
}  // namespace storage
