// What a module runs on, in process: a SQLite file with accounts, the real event
// bus, IQ dispatch, router, storage threads and module host. Module tests reach
// the paths the wire tests cannot (a failing database, races with a login).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.hpp"
#include "server/hooks/event_bus.hpp"
#include "server/hooks/module_host.hpp"
#include "server/router/iq_dispatch.hpp"
#include "server/router/router.hpp"
#include "server/storage_executor.hpp"
#include "storage/accounts.hpp"
#include "storage/sqlite/database.hpp"
#include "tests/support/test_dir.hpp"

namespace test_support {

struct module_harness {
    std::filesystem::path dir;
    std::string path;                       // the SQLite file
    std::unique_ptr<storage::database> db;  // the test's own connection to it
    server::config cfg;
    server::event_bus events;
    server::iq_dispatch iqs;
    std::unique_ptr<server::router> router;
    std::unique_ptr<server::storage_executor> storage;
    std::unique_ptr<server::module_host> host;

    // A fresh database serving `domain`, with these accounts (password "pw").
    void open(std::string_view tag, const std::string& domain,
              std::initializer_list<const char*> users) {
        dir = fresh_test_dir(tag);
        path = (dir / "test.db").string();
        db = std::move(storage::database::open(path).value());
        for (auto user : users)
            ASSERT_TRUE(storage::accounts(*db).create(user, domain, "pw", 4096));
        cfg.hosts = {domain};
    }

    // The router, two storage threads and the module host with `modules`
    // started; the host's error, if any.
    std::optional<std::string> start(const std::vector<server::module_info>& modules) {
        router = std::make_unique<server::router>(
            std::set<std::string>(cfg.hosts.begin(), cfg.hosts.end()), events, iqs);
        storage = std::make_unique<server::storage_executor>(path, 2);
        host = std::make_unique<server::module_host>(cfg, events, iqs, *router, *storage);
        return host->start(modules);
    }

    void close() {
        if (storage) storage->join();  // no job may outlive the module it calls
        host.reset();
        storage.reset();
        db.reset();
        std::filesystem::remove_all(dir);
    }
};

}  // namespace test_support
