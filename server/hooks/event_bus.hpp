// Priority-ordered, typed hooks. Handlers are registered while modules start (one
// thread); afterwards the bus is only read, from any thread, without locks.
#pragma once

#include <algorithm>
#include <any>
#include <atomic>
#include <cstddef>
#include <functional>
#include <vector>

#include "server/hooks/events.hpp"

namespace server {

class event_bus {
  public:
    template <class Event>
    using handler = std::function<handled(Event&)>;

    // Higher priority runs first; equal priorities run in registration order.
    template <class Event>
    void on(handler<Event> fn, int priority = 0) {
        const auto slot = slot_of<Event>();
        if (lists_.size() <= slot) lists_.resize(slot + 1);
        auto& list = lists_[slot];
        entry e{priority, next_seq_++, std::any(std::move(fn))};
        auto pos = std::upper_bound(
            list.begin(), list.end(), e,
            [](const entry& a, const entry& b) { return a.priority > b.priority; });
        list.insert(pos, std::move(e));
    }

    // Runs handlers until one returns handled::yes.
    template <class Event>
    handled fire(Event& ev) const {
        const auto slot = slot_of<Event>();
        if (slot >= lists_.size()) return handled::no;
        for (const auto& e : lists_[slot]) {
            if (std::any_cast<const handler<Event>&>(e.fn)(ev) == handled::yes) return handled::yes;
        }
        return handled::no;
    }

    template <class Event>
    handled fire(Event&& ev) const {
        Event copy = std::move(ev);
        return fire(copy);
    }

  private:
    // Every event type gets a small number the first time it is used, the same
    // for every bus: fire() indexes a vector instead of searching a map keyed
    // by type (a string comparison of type names per step, on every stanza).
    static std::size_t next_slot() {
        static std::atomic<std::size_t> n{0};
        return n++;
    }
    template <class Event>
    static std::size_t slot_of() {
        static const std::size_t slot = next_slot();
        return slot;
    }

    struct entry {
        int priority;
        unsigned seq;
        std::any fn;
    };
    std::vector<std::vector<entry>> lists_;  // by slot_of<Event>()
    unsigned next_seq_ = 0;
};

}  // namespace server
