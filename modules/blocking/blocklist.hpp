// Every account's XEP-0191 block list, kept whole in memory: the router asks on
// every stanza between accounts, and lists are small and few. Written only on
// the owner's strand; read from any thread.
#pragma once

#include <atomic>
#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "xml/jid.hpp"

namespace modules {

class blocklists {
  public:
    // XEP-0191 §6 (the XEP-0016 §2.1 order): a stanza from `who` is blocked by an
    // item for its full JID, its bare JID, its domain/resource or its domain.
    // `account` may carry a resource; only its bare JID counts.
    bool blocks(const xml::jid& account, const xml::jid& who) const;
    std::vector<std::string> list(const xml::jid& account) const;

    void add(const xml::jid& account, const std::vector<std::string>& jids);
    void remove(const xml::jid& account, const std::vector<std::string>& jids);
    void clear(const xml::jid& account);

  private:
    mutable std::shared_mutex mu_;
    std::map<std::string, std::set<std::string>> by_account_;  // bare JID -> blocked JIDs
    // Most servers have few lists: without any, the router's question costs no lock.
    std::atomic<std::size_t> accounts_{0};
};

}  // namespace modules
