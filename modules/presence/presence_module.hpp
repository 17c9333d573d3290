// RFC 6121 §3-4 presence: the subscription handshake (subscription_flow.cpp)
// and the presence a user's resources broadcast, probe for and direct
// (presence.cpp). Anything touching an account's roster runs on that account's
// storage strand (roster_book), so each user's presence changes keep their order.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "modules/roster/roster_book.hpp"
#include "modules/roster/subscription.hpp"
#include "server/hooks/module_api.hpp"

namespace modules {

class presence_module final : public server::module {
  public:
    void start(server::module_context& ctx) override;

  private:
    // presence.cpp
    server::handled outbound(const server::routed_stanza& s);
    server::handled inbound(const server::routed_stanza& s);
    void broadcast(roster_txn& txn, const xml::element_ptr& presence, const xml::jid& full);
    // On the account's strand.
    // nullopt when the database cannot tell (logged).
    std::optional<bool> account_exists(const xml::jid& account);
    void track_directed(const xml::jid& full, const xml::jid& to, bool available);
    void answer_probe(roster_txn& txn, const xml::jid& prober, const xml::jid& probed);

    // subscription_flow.cpp (RFC 6121 §3)
    void outbound_subscription(roster_txn& txn, const xml::jid& contact, sub_type type,
                               const xml::element_ptr& stanza);
    void inbound_subscription(roster_txn& txn, const xml::jid& contact, sub_type type,
                              const xml::element_ptr& stanza);
    // Commits the item; on failure answers `stanza` with an error and returns false.
    bool store(roster_txn& txn, const roster_item& item, const xml::element_ptr& stanza);
    // Answers the user's `stanza` with the error of a roster at its max_items.
    void refuse_full_roster(const xml::element_ptr& stanza);
    void send(std::string_view type, const xml::jid& from, const xml::jid& to,
              const xml::element_ptr& original = nullptr);

    // What the module remembers of each available resource. Changed only on the
    // account's strand; the lock guards the map itself.
    struct resource_state {
        std::set<std::string> directed;  // RFC 6121 §4.6: directed presence sent to
    };

    server::module_context* ctx_ = nullptr;
    std::shared_ptr<roster_book> book_;
    std::mutex mu_;
    std::unordered_map<std::string, resource_state> resources_;  // by full JID
    // The last unavailable presence each account broadcast (RFC 6121 §4.3.2),
    // by bare JID; in memory only, so a restart forgets it.
    struct last_presence {
        xml::jid full;
        xml::element_ptr presence;
    };
    std::unordered_map<std::string, last_presence> last_unavailable_;
};

}  // namespace modules
