// Storage work runs here, never on an I/O thread (DESIGN: "Nothing blocks an I/O
// thread"). Each storage thread owns its own SQLite connection; WAL lets them read
// concurrently while SQLite serialises the writers.
//
//   auto ok = co_await storage.run([&](storage::database& db) { ... return x; });
//
// suspends the calling coroutine, runs the function on a storage thread, and
// resumes the coroutine on its own executor with the result.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "storage/sqlite/database.hpp"

namespace server {

namespace asio = boost::asio;

class storage_executor {
  public:
    storage_executor(std::string db_path, unsigned threads);
    ~storage_executor();

    // The calling storage thread's connection (opened on first use). Only valid on
    // a storage thread; throws if the database cannot be opened.
    storage::database& db();

    // Run `f(database&)` on a storage thread and call `done(result)` on `ex`.
    template <class F, class Done, class Executor>
    void post(F f, const Executor& ex, Done done) {
        asio::post(pool_, [this, f = std::move(f), ex, done = std::move(done)]() mutable {
            auto r = f(db());
            asio::post(
                ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
        });
    }

    // Fire-and-forget on a storage thread.
    template <class F>
    void post(F f) {
        asio::post(pool_, [this, f = std::move(f)]() mutable { f(db()); });
    }

    // Fire-and-forget, in order with every other job posted under the same key
    // (an account's bare JID, say): jobs for one key never run concurrently or
    // out of order; jobs for different keys run in parallel.
    template <class F>
    void post_ordered(std::string_view key, F f) {
        auto& strand = strands_[std::hash<std::string_view>{}(key) % strands_.size()];
        asio::post(strand, [this, f = std::move(f)]() mutable { f(db()); });
    }

    // Coroutine form; the function must return a value (not void).
    template <class F>
    auto run(F f) -> asio::awaitable<std::invoke_result_t<F, storage::database&>> {
        using R = std::invoke_result_t<F, storage::database&>;
        return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
            [this, f = std::move(f)](auto handler) mutable {
                auto ex = asio::get_associated_executor(handler);
                post(std::move(f), ex, std::move(handler));
            },
            asio::use_awaitable);
    }

    void join();

  private:
    std::string path_;
    asio::thread_pool pool_;
    std::vector<asio::strand<asio::thread_pool::executor_type>> strands_;
};

}  // namespace server
