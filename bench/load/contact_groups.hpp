// The rosters of the presence scenarios: the users form groups of contacts + 1,
// and everyone in a group has a subscription 'both' with the rest of it. Users
// past the last full group take no part.
#pragma once

#include <algorithm>
#include <cstddef>

#include "bench/load/scenario.hpp"

namespace bench {

struct contact_groups {
    std::size_t size = 1;   // users per group
    std::size_t users = 0;  // users in full groups: u0..u<users-1>

    explicit contact_groups(const run_options& o)
        : size(std::max<std::size_t>(std::min(o.contacts + 1, o.users), 1)),
          users(o.users / size * size) {}

    std::size_t contacts() const { return size - 1; }
    std::size_t groups() const { return users / size; }
    std::size_t first_of(std::size_t i) const { return i / size * size; }
    std::size_t position(std::size_t i) const { return i % size; }
};

}  // namespace bench
