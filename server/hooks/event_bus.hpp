// Priority-ordered, typed hooks. Handlers are registered while modules start (one
// thread); afterwards the bus is only read, from any thread, without locks.
#pragma once

#include <algorithm>
#include <any>
#include <functional>
#include <map>
#include <typeindex>
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
        auto& list = lists_[std::type_index(typeid(Event))];
        entry e{priority, next_seq_++, std::any(std::move(fn))};
        auto pos = std::upper_bound(
            list.begin(), list.end(), e,
            [](const entry& a, const entry& b) { return a.priority > b.priority; });
        list.insert(pos, std::move(e));
    }

    // Runs handlers until one returns handled::yes.
    template <class Event>
    handled fire(Event& ev) const {
        auto it = lists_.find(std::type_index(typeid(Event)));
        if (it == lists_.end()) return handled::no;
        for (const auto& e : it->second) {
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
    struct entry {
        int priority;
        unsigned seq;
        std::any fn;
    };
    std::map<std::type_index, std::vector<entry>> lists_;
    unsigned next_seq_ = 0;
};

}  // namespace server
