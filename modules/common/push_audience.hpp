// The resources that asked for some per-account list (the roster, RFC 6121
// §2.1.6; the block list, XEP-0191 §3.3) and so get an IQ push when it changes.
// Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "server/hooks/module_api.hpp"

namespace modules {

class push_audience {
  public:
    explicit push_audience(std::string id_prefix) : id_prefix_(std::move(id_prefix)) {}

    void join(const xml::jid& full);
    void leave(const xml::jid& full);
    // An <iq type='set'/> carrying `payload` from the account to each of its
    // bound resources in the audience.
    void push(server::module_context& ctx, const xml::jid& account,
              const xml::element_ptr& payload);

  private:
    std::string id_prefix_;
    std::mutex mu_;
    std::set<std::string> members_;  // full JIDs
    std::atomic<unsigned long> next_id_{0};
};

}  // namespace modules
