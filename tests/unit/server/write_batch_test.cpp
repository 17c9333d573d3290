#include "server/stream/write_batch.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace server {
namespace {

struct writer final : batched_writer {
    writer(std::string& log, char name) : log(log), name(name) {}
    void write_now() override {
        log += name;
        if (then) then();
    }
    std::string& log;
    char name;
    std::function<void()> then;
};

TEST(write_batch_test, without_a_batch_nothing_is_held_back) {
    std::string log;
    EXPECT_FALSE(write_batch::join(std::make_shared<writer>(log, 'a')));
    EXPECT_EQ(log, "");
}

TEST(write_batch_test, writers_write_when_the_batch_closes_in_the_order_they_joined) {
    std::string log;
    {
        write_batch batch;
        EXPECT_TRUE(write_batch::join(std::make_shared<writer>(log, 'b')));
        EXPECT_TRUE(write_batch::join(std::make_shared<writer>(log, 'a')));
        EXPECT_EQ(log, "");
    }
    EXPECT_EQ(log, "ba");
    // Closed: the next join is refused again, and nothing is written twice.
    EXPECT_FALSE(write_batch::join(std::make_shared<writer>(log, 'c')));
    EXPECT_EQ(log, "ba");
}

TEST(write_batch_test, a_nested_batch_leaves_the_writing_to_the_outer_one) {
    std::string log;
    {
        write_batch outer;
        {
            write_batch inner;
            EXPECT_TRUE(write_batch::join(std::make_shared<writer>(log, 'a')));
        }
        EXPECT_EQ(log, "");
    }
    EXPECT_EQ(log, "a");
}

TEST(write_batch_test, a_writer_that_queues_more_while_writing_is_refused_the_closed_batch) {
    std::string log;
    auto a = std::make_shared<writer>(log, 'a');
    bool joined_again = true;
    a->then = [&] { joined_again = write_batch::join(std::make_shared<writer>(log, 'x')); };
    {
        write_batch batch;
        write_batch::join(a);
    }
    EXPECT_EQ(log, "a");
    EXPECT_FALSE(joined_again);
}

TEST(write_batch_test, a_write_may_run_a_batch_of_its_own) {
    std::string log;
    auto a = std::make_shared<writer>(log, 'a');
    a->then = [&] {
        write_batch own;
        write_batch::join(std::make_shared<writer>(log, 'c'));
    };
    {
        write_batch batch;
        write_batch::join(a);
        write_batch::join(std::make_shared<writer>(log, 'b'));
    }
    EXPECT_EQ(log, "acb");
}

TEST(write_batch_test, batches_are_per_thread) {
    std::string log;
    write_batch batch;
    bool joined_elsewhere = true;
    std::thread([&] {
        joined_elsewhere = write_batch::join(std::make_shared<writer>(log, 'a'));
    }).join();
    EXPECT_FALSE(joined_elsewhere);
}

}  // namespace
}  // namespace server
