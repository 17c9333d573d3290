// archive_store on real SQLite files: order, paging, quota, removal, ids that are
// never reused, persistence, and account removal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "storage/accounts.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/store.hpp"
#include "tests/support/test_dir.hpp"

namespace storage {
namespace {

class archive_db : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = test_support::fresh_test_dir("archive");
        path_ = (dir_ / "test.db").string();
        db_ = open();
    }
    void TearDown() override {
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::unique_ptr<database> open() {
        auto db = database::open(path_);
        EXPECT_TRUE(db) << (db ? "" : db.error().message);
        return db ? std::move(db.value()) : nullptr;
    }

    static std::vector<std::string> values(const std::vector<archive_entry>& entries) {
        std::vector<std::string> out;
        for (const auto& e : entries) out.push_back(e.value);
        return out;
    }

    std::filesystem::path dir_;
    std::string path_;
    std::unique_ptr<database> db_;
    account_ref alice_{"alice", "example.com"};
    account_ref bob_{"bob", "example.com"};
};

TEST_F(archive_db, entries_come_back_oldest_first_with_their_fields) {
    archive_store offline(*db_, "offline");
    auto first = offline.append(alice_, 1000, "bob@example.com/phone", "<message>1</message>");
    auto second = offline.append(alice_, 2000, "carol@example.com", "<message>2</message>");
    ASSERT_TRUE(first && second);
    EXPECT_LT(first.value(), second.value());
    auto all = offline.list(alice_);
    ASSERT_TRUE(all);
    ASSERT_EQ(all.value().size(), 2u);
    EXPECT_EQ(all.value()[0].id, first.value());
    EXPECT_EQ(all.value()[0].when_ms, 1000);
    EXPECT_EQ(all.value()[0].with, "bob@example.com/phone");
    EXPECT_EQ(all.value()[0].value, "<message>1</message>");
    EXPECT_EQ(all.value()[1].with, "carol@example.com");
    EXPECT_EQ(offline.count(alice_).value(), 2u);
}

TEST_F(archive_db, order_is_arrival_not_timestamp) {
    // A clock step backwards must not reorder a queue.
    archive_store offline(*db_, "offline");
    ASSERT_TRUE(offline.append(alice_, 5000, "b@x", "first"));
    ASSERT_TRUE(offline.append(alice_, 1000, "b@x", "second"));
    EXPECT_EQ(values(offline.list(alice_).value()), (std::vector<std::string>{"first", "second"}));
}

TEST_F(archive_db, list_pages_with_limit_and_after_id) {
    archive_store offline(*db_, "offline");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(offline.append(alice_, i, "b@x", std::to_string(i)));
    auto page1 = offline.list(alice_, 2);
    ASSERT_TRUE(page1);
    EXPECT_EQ(values(page1.value()), (std::vector<std::string>{"0", "1"}));
    auto page2 = offline.list(alice_, 2, page1.value().back().id);
    EXPECT_EQ(values(page2.value()), (std::vector<std::string>{"2", "3"}));
    auto page3 = offline.list(alice_, 2, page2.value().back().id);
    EXPECT_EQ(values(page3.value()), (std::vector<std::string>{"4"}));
    EXPECT_TRUE(offline.list(alice_, 2, page3.value().back().id).value().empty());
}

TEST_F(archive_db, accounts_and_store_names_are_separate) {
    archive_store offline(*db_, "offline"), mam(*db_, "mam");
    ASSERT_TRUE(offline.append(alice_, 1, "b@x", "alice offline"));
    ASSERT_TRUE(offline.append(bob_, 1, "a@x", "bob offline"));
    ASSERT_TRUE(mam.append(alice_, 1, "b@x", "alice mam"));
    EXPECT_EQ(values(offline.list(alice_).value()), (std::vector<std::string>{"alice offline"}));
    EXPECT_EQ(values(mam.list(alice_).value()), (std::vector<std::string>{"alice mam"}));
    EXPECT_EQ(offline.remove_all(alice_).value(), 1u);
    EXPECT_EQ(offline.count(bob_).value(), 1u);
    EXPECT_EQ(mam.count(alice_).value(), 1u);
}

TEST_F(archive_db, a_full_store_refuses_and_keeps_what_it_has) {
    archive_store offline(*db_, "offline");
    ASSERT_TRUE(offline.append(alice_, 1, "b@x", "1", 2));
    ASSERT_TRUE(offline.append(alice_, 2, "b@x", "2", 2));
    auto third = offline.append(alice_, 3, "b@x", "3", 2);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, errc::limit_reached);
    EXPECT_NE(third.error().message.find("alice@example.com"), std::string::npos);
    EXPECT_EQ(values(offline.list(alice_).value()), (std::vector<std::string>{"1", "2"}));
    // The quota is per account.
    EXPECT_TRUE(offline.append(bob_, 3, "a@x", "3", 2));
    // Room again once something was removed.
    auto first = offline.list(alice_, 1).value().front().id;
    EXPECT_EQ(offline.remove_up_to(alice_, first).value(), 1u);
    EXPECT_TRUE(offline.append(alice_, 4, "b@x", "4", 2));
}

TEST_F(archive_db, remove_up_to_keeps_newer_entries) {
    archive_store offline(*db_, "offline");
    ASSERT_TRUE(offline.append(alice_, 1, "b@x", "old"));
    auto delivered = offline.append(alice_, 2, "b@x", "delivered");
    ASSERT_TRUE(offline.append(alice_, 3, "b@x", "arrived during delivery"));
    ASSERT_TRUE(delivered);
    EXPECT_EQ(offline.remove_up_to(alice_, delivered.value()).value(), 2u);
    EXPECT_EQ(values(offline.list(alice_).value()),
              (std::vector<std::string>{"arrived during delivery"}));
}

TEST_F(archive_db, ids_are_never_reused_after_removal) {
    // Otherwise a flush that read ids 1..3 and then removes "up to 3" could take a
    // message appended after a clear that restarted the ids.
    archive_store offline(*db_, "offline");
    std::int64_t last = 0;
    for (int i = 0; i < 3; ++i) last = offline.append(alice_, i, "b@x", "x").value();
    ASSERT_EQ(offline.remove_all(alice_).value(), 3u);
    auto next = offline.append(alice_, 9, "b@x", "after clear");
    ASSERT_TRUE(next);
    EXPECT_GT(next.value(), last);
    EXPECT_EQ(offline.remove_up_to(alice_, last).value(), 0u);
    EXPECT_EQ(offline.count(alice_).value(), 1u);
}

TEST_F(archive_db, entries_survive_reopening) {
    ASSERT_TRUE(archive_store(*db_, "offline").append(alice_, 42, "b@x", "kept"));
    db_.reset();
    db_ = open();
    auto all = archive_store(*db_, "offline").list(alice_);
    ASSERT_TRUE(all);
    ASSERT_EQ(all.value().size(), 1u);
    EXPECT_EQ(all.value()[0].when_ms, 42);
    EXPECT_EQ(all.value()[0].value, "kept");
}

TEST_F(archive_db, a_version_2_database_gains_the_archive) {
    ASSERT_TRUE(accounts(*db_).create("alice", "example.com", "pw", 4096));
    ASSERT_TRUE(db_->exec("DROP TABLE archive; PRAGMA user_version=2;"));
    db_.reset();
    db_ = open();
    EXPECT_EQ(db_->schema_version(), latest_schema_version());
    EXPECT_TRUE(accounts(*db_).exists("alice", "example.com").value());
    EXPECT_TRUE(archive_store(*db_, "offline").append(alice_, 1, "b@x", "x"));
}

TEST_F(archive_db, removing_an_account_removes_its_archives) {
    accounts a(*db_);
    ASSERT_TRUE(a.create("alice", "example.com", "pw", 4096));
    ASSERT_TRUE(a.create("bob", "example.com", "pw", 4096));
    archive_store offline(*db_, "offline");
    ASSERT_TRUE(offline.append(alice_, 1, "b@x", "for alice"));
    ASSERT_TRUE(offline.append(bob_, 1, "a@x", "for bob"));
    ASSERT_TRUE(a.remove("alice", "example.com"));
    EXPECT_EQ(offline.count(alice_).value(), 0u);
    EXPECT_EQ(offline.count(bob_).value(), 1u);
}

}  // namespace
}  // namespace storage
