#include "modules/blocking/blocklist.hpp"

#include <mutex>

namespace modules {

bool blocklists::blocks(const xml::jid& account, const xml::jid& who) const {
    if (accounts_.load(std::memory_order_acquire) == 0) return false;
    std::shared_lock lock(mu_);
    auto it = by_account_.find(account.bare_str());
    if (it == by_account_.end() || who.empty()) return false;
    const auto& items = it->second;
    if (items.count(who.str()) || items.count(who.bare_str()) || items.count(who.domain()))
        return true;
    return !who.resource().empty() && items.count(who.domain() + "/" + who.resource());
}

std::vector<std::string> blocklists::list(const xml::jid& account) const {
    std::shared_lock lock(mu_);
    auto it = by_account_.find(account.bare_str());
    if (it == by_account_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

void blocklists::add(const xml::jid& account, const std::vector<std::string>& jids) {
    std::unique_lock lock(mu_);
    by_account_[account.bare_str()].insert(jids.begin(), jids.end());
    accounts_.store(by_account_.size(), std::memory_order_release);
}

void blocklists::remove(const xml::jid& account, const std::vector<std::string>& jids) {
    std::unique_lock lock(mu_);
    auto it = by_account_.find(account.bare_str());
    if (it == by_account_.end()) return;
    for (const auto& j : jids) it->second.erase(j);
    if (it->second.empty()) by_account_.erase(it);
    accounts_.store(by_account_.size(), std::memory_order_release);
}

void blocklists::clear(const xml::jid& account) {
    std::unique_lock lock(mu_);
    by_account_.erase(account.bare_str());
    accounts_.store(by_account_.size(), std::memory_order_release);
}

}  // namespace modules
