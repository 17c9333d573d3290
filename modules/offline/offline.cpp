// XEP-0160 offline messages. A chat or normal message that no resource can take
// (the router's message_undeliverable) is stored for an existing account, and
// delivered oldest first with a XEP-0203 <delay/> when a resource sends
// available presence with a non-negative priority.
//
// Every step for one account runs in order on the storage strand keyed by its
// bare JID, so a store and a flush never overtake each other. Rows are removed
// only after their messages were routed: a crash in between delivers a message
// twice rather than never (DESIGN: Reliability).
#include "modules/offline/offline.hpp"

#include <chrono>
#include <mutex>
#include <set>

#include "modules/offline/offline_commands.hpp"
#include "modules/offline/offline_message.hpp"
#include "server/log.hpp"
#include "server/storage_executor.hpp"
#include "storage/accounts.hpp"
#include "storage/store.hpp"
#include "xml/fragment.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace modules {
namespace {

using xml::error_condition;

// Messages read per query while flushing: bounds memory for a full queue.
constexpr std::size_t flush_batch = 100;

// A stored message being routed by a flush on this storage thread. When its
// resource went away between the availability check and the routing, the router
// hands it back through message_undeliverable (synchronously, on this thread):
// the flush then keeps it and everything after it, in order, instead of storing
// a second copy at the end of the queue.
struct flush_attempt {
    const xml::element* message = nullptr;
    bool came_back = false;
};
thread_local flush_attempt* current_flush = nullptr;

storage::account_ref account_of(const xml::jid& j) {
    return {j.local(), j.domain()};
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class offline final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx_ = &ctx;
        max_messages_ = std::size_t(ctx.option_int("max_messages", 1000, 1, 1000000));
        ctx.add_feature(feature_msgoffline);
        ctx.on<server::message_undeliverable>(
            [this](server::message_undeliverable& ev) { return take(ev); });
        ctx.on<server::resource_available>([this](server::resource_available& ev) {
            // XEP-0160 §2 step 5; a negative priority never receives bare-JID
            // messages (RFC 6121 §8.5.2.1.1), so it gets none of these either.
            if (ev.priority >= 0) {
                schedule_flush(ev.full);
            } else {
                std::lock_guard lock(mu_);
                negative_.insert(ev.full.str());
            }
            return server::handled::no;
        });
        // Only watches presence, so it runs before anything that may take it over.
        ctx.on<server::client_stanza>(
            [this](server::client_stanza& ev) {
                if (ev.kind == xml::stanza_kind::presence && ev.s.to.empty() &&
                    xml::stanza(ev.s.el).type().empty())
                    priority_changed(ev.s.from);
                return server::handled::no;
            },
            100);
        ctx.on<server::session_closed>([this](server::session_closed& ev) {
            std::lock_guard lock(mu_);
            negative_.erase(ev.full.str());
            return server::handled::no;
        });
    }

  private:
    server::handled take(server::message_undeliverable& ev) {
        if (current_flush && ev.stanza.get() == current_flush->message) {
            current_flush->came_back = true;
            return server::handled::yes;
        }
        if (!is_storable(*ev.stanza)) return server::handled::no;
        ctx_->storage().post_ordered(ev.to.str(),
                                     [this, to = ev.to, message = ev.stanza, when = now_ms()](
                                         storage::database& db) { store(db, to, message, when); });
        return server::handled::yes;
    }

    void store(storage::database& db, const xml::jid& to, const xml::element_ptr& message,
               std::int64_t when) {
        auto exists = storage::accounts(db).exists(to.local(), to.domain());
        if (!exists) return storage_failed(message, to, exists.error());
        // RFC 6121 §8.5.1: no such account, so nothing to store for.
        if (!exists.value()) return bounce(message, to, error_condition::service_unavailable);
        storage::archive_store queue(db, std::string(offline_store));
        auto id = queue.append(account_of(to), when, message->attr_or("from", ""),
                               xml::to_string(*message, xml::ns::client), max_messages_);
        if (!id) {
            // <service-unavailable/> rather than <resource-constraint/>: XEP-0160
            // §2 step 3 names it for a full queue, and it is what a server with no
            // offline storage answers (RFC 6121 §8.5.2.2.1), so clients already
            // handle it. The text tells the human why.
            if (id.error().code == storage::errc::limit_reached)
                return bounce(message, to, error_condition::service_unavailable,
                              "the recipient's offline message queue is full");
            return storage_failed(message, to, id.error());
        }
        // A resource may have come online after the router found none but before
        // this store ran: its own flush then found the queue without this
        // message. Deliver now rather than at its next login.
        for (const auto& r : ctx_->available_resources(to))
            if (r.priority >= 0) return flush(db, r.full);
    }

    // XEP-0160 §2 step 5 says "next sends non-negative available presence", not
    // only the first: a resource that went from a negative priority to a
    // non-negative one now receives the queue. The router already knows the new
    // priority when client stanzas are seen.
    void priority_changed(const xml::jid& full) {
        for (const auto& r : ctx_->available_resources(full.bare())) {
            if (r.full != full) continue;
            std::lock_guard lock(mu_);
            if (r.priority < 0) {
                negative_.insert(full.str());
            } else if (negative_.erase(full.str())) {
                schedule_flush(full);
            }
        }
    }

    void schedule_flush(const xml::jid& full) {
        ctx_->storage().post_ordered(full.bare().str(),
                                     [this, full](storage::database& db) { flush(db, full); });
    }

    void flush(storage::database& db, const xml::jid& full) {
        auto account = account_of(full);
        storage::archive_store queue(db, std::string(offline_store));
        for (;;) {
            auto batch = queue.list(account, flush_batch);
            if (!batch) {
                server::log::error("offline", "cannot read the queue of ", full.bare().str(), ": ",
                                   batch.error().message);
                return;
            }
            std::int64_t routed_up_to = 0;
            bool interrupted = false;
            for (const auto& entry : batch.value()) {
                if (!route_one(entry, full)) {
                    interrupted = true;
                    break;
                }
                routed_up_to = entry.id;
            }
            if (routed_up_to != 0) {
                if (auto r = queue.remove_up_to(account, routed_up_to); !r) {
                    // They were delivered; they will be delivered again next time.
                    server::log::error("offline", "cannot remove delivered messages of ",
                                       full.bare().str(), ": ", r.error().message);
                    return;
                }
            }
            if (interrupted || batch.value().size() < flush_batch) return;
        }
    }

    // False when the message came back because no resource can take it now.
    bool route_one(const storage::archive_entry& entry, const xml::jid& full) {
        auto stored = xml::parse_fragment(entry.value);
        if (!stored) {
            // Only a damaged database gets here: say so rather than drop it quietly.
            server::log::error("offline", "removing unreadable stored message ", entry.id, " for ",
                               full.bare().str(), " from ", entry.with);
            return true;
        }
        // XEP-0160 §2 step 5: to the resource that sent the presence.
        auto message = delayed_copy(*stored, full.str(), full.domain(), entry.when_ms);
        flush_attempt attempt{message.get()};
        current_flush = &attempt;
        ctx_->send(message);
        current_flush = nullptr;
        return !attempt.came_back;
    }

    void storage_failed(const xml::element_ptr& message, const xml::jid& to,
                        const storage::error& e) {
        server::log::error("offline", "cannot store a message for ", to.str(), ": ", e.message);
        // XEP-0160 §2 step 3: the server cannot store it, so the sender hears so.
        bounce(message, to, error_condition::service_unavailable, "offline storage failed");
    }

    // The error comes from the account the message was for (its bare JID).
    void bounce(const xml::element_ptr& message, const xml::jid& to, error_condition c,
                std::string text = {}) {
        xml::stanza st(message);
        if (st.type() == "error") return;  // RFC 6120 §8.3.1
        auto reply = st.error_reply(xml::make_error(c, std::move(text)));
        ctx_->send(xml::stanza(reply).with_addresses(to.str(), st.from_attr()));
    }

    server::module_context* ctx_ = nullptr;
    std::size_t max_messages_ = 1000;
    std::mutex mu_;
    std::set<std::string> negative_;  // available resources with a negative priority
};

}  // namespace

server::module_info offline_module_info() {
    return {"offline",
            {{"XEP-0160", "1.0.1"}, {"XEP-0203", "2.0"}},
            [] { return std::make_unique<offline>(); },
            add_offline_commands};
}

}  // namespace modules
