#include "server/router/sessions.hpp"

#include <algorithm>
#include <mutex>

namespace server {

sessions::bind_result sessions::bind(const xml::jid& full, std::shared_ptr<endpoint> ep,
                                     std::string address, std::size_t max_resources) {
    std::unique_lock lock(mu_);
    auto& list = by_bare_[full.bare_str()];
    auto same = std::find_if(list.begin(), list.end(),
                             [&](const resource_entry& e) { return e.full == full; });
    if (same != list.end()) {
        auto old = std::move(same->ep);
        *same = resource_entry{full,
                               std::move(ep),
                               false,
                               0,
                               nullptr,
                               std::move(address),
                               std::chrono::system_clock::now()};
        return {bind_outcome::replaced, std::move(old)};
    }
    if (list.size() >= max_resources) return {bind_outcome::too_many, nullptr};
    list.push_back(resource_entry{full, std::move(ep), false, 0, nullptr, std::move(address),
                                  std::chrono::system_clock::now()});
    ++count_;
    return {bind_outcome::bound, nullptr};
}

bool sessions::unbind(const xml::jid& full, const endpoint* ep) {
    std::unique_lock lock(mu_);
    auto it = by_bare_.find(full.bare_str());
    if (it == by_bare_.end()) return false;
    auto& list = it->second;
    auto pos = std::find_if(list.begin(), list.end(), [&](const resource_entry& e) {
        return e.full == full && e.ep.get() == ep;
    });
    if (pos == list.end()) return false;
    bool was_available = pos->available;
    list.erase(pos);
    --count_;
    if (list.empty()) by_bare_.erase(it);
    return was_available;
}

bool sessions::set_presence(const xml::jid& full, bool available, int priority,
                            xml::element_ptr presence) {
    std::unique_lock lock(mu_);
    auto it = by_bare_.find(full.bare_str());
    if (it == by_bare_.end()) return false;
    for (auto& e : it->second) {
        if (e.full != full) continue;
        e.available = available;
        e.priority = priority;
        e.last_presence = std::move(presence);
        return true;
    }
    return false;
}

std::shared_ptr<endpoint> sessions::find(const xml::jid& full) const {
    std::shared_lock lock(mu_);
    auto it = by_bare_.find(full.bare_str());
    if (it == by_bare_.end()) return nullptr;
    for (const auto& e : it->second)
        if (e.full == full) return e.ep;
    return nullptr;
}

std::vector<resource_entry> sessions::resources(const xml::jid& bare) const {
    std::shared_lock lock(mu_);
    auto it = by_bare_.find(bare.bare_str());
    if (it == by_bare_.end()) return {};
    return it->second;
}

std::vector<resource_entry> sessions::all() const {
    std::shared_lock lock(mu_);
    std::vector<resource_entry> out;
    out.reserve(count_);
    for (const auto& [bare, list] : by_bare_) out.insert(out.end(), list.begin(), list.end());
    return out;
}

std::size_t sessions::count() const {
    std::shared_lock lock(mu_);
    return count_;
}

}  // namespace server
