// Bound resources: bare JID -> its sessions, with availability and priority
// (RFC 6121 §8.5 needs both). Guarded by one shared_mutex: lookups vastly
// outnumber binds, and a lookup holds the lock only to copy a few pointers.
#pragma once

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/router/endpoint.hpp"
#include "xml/element.hpp"
#include "xml/jid.hpp"

namespace server {

struct resource_entry {
    xml::jid full;
    std::shared_ptr<endpoint> ep;
    bool available = false;  // sent available presence (RFC 6121 §4.2)
    int priority = 0;
    xml::element_ptr last_presence;  // last broadcast presence, 'from' stamped
    std::string address;             // remote IP, for connected_users
    std::chrono::system_clock::time_point since;
};

enum class bind_outcome { bound, replaced, too_many };

class sessions {
  public:
    struct bind_result {
        bind_outcome outcome;
        std::shared_ptr<endpoint> replaced;  // set with bind_outcome::replaced
    };

    // A second bind of the same full JID replaces the first (the newer connection
    // wins; the caller kicks the old one with <conflict/>).
    bind_result bind(const xml::jid& full, std::shared_ptr<endpoint> ep, std::string address,
                     std::size_t max_resources);
    // Removes the entry only if it still belongs to `ep` (it may have been replaced).
    // Returns the removed entry's availability.
    bool unbind(const xml::jid& full, const endpoint* ep);
    // Updates availability; returns false when the resource is not bound.
    bool set_presence(const xml::jid& full, bool available, int priority,
                      xml::element_ptr presence);

    std::shared_ptr<endpoint> find(const xml::jid& full) const;
    std::vector<resource_entry> resources(const xml::jid& bare) const;
    std::vector<resource_entry> all() const;
    std::size_t count() const;

  private:
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, std::vector<resource_entry>> by_bare_;
    std::size_t count_ = 0;
};

}  // namespace server
