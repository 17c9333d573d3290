// XEP-0191 Blocking Command: the block list (get, block, unblock, pushed to
// every resource that asked for it), and its effect on routing: nothing from a
// blocked JID reaches the user, nothing from the user reaches it, and the user
// appears offline to it. Lists live in SQLite ("blocklist" map store) and
// whole in memory (blocklist.hpp); changes run on the account's roster strand
// so they are ordered with the presence they affect.
#include "modules/blocking/blocking.hpp"

#include <future>
#include <mutex>
#include <set>

#include "modules/blocking/blocklist.hpp"
#include "modules/common/push_audience.hpp"
#include "modules/presence/announce.hpp"
#include "modules/roster/roster.hpp"
#include "modules/roster/roster_book.hpp"
#include "server/log.hpp"
#include "server/storage_executor.hpp"
#include "storage/store.hpp"

namespace modules {
namespace {

using server::handled;
constexpr std::string_view ns_blocking = "urn:xmpp:blocking";
constexpr std::string_view ns_blocking_errors = "urn:xmpp:blocking:errors";
constexpr std::string_view store_name = "blocklist";
// Before the presence and roster hooks: a blocked stanza goes no further.
constexpr int filter_priority = 100;

storage::account_ref account_of(const xml::jid& j) {
    return {j.local(), j.domain()};
}

class blocking final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx_ = &ctx;
        book_ = roster_book_of(ctx);
        load();
        ctx.add_feature(ns_blocking);
        auto on = [&](server::iq_type t, std::string_view name, auto fn) {
            ctx.on_iq(t, server::to_kind::bare, {std::string(ns_blocking), std::string(name)},
                      [this, fn](const server::iq_request& req) {
                          // Only the account itself sees and edits its list.
                          if (req.from().bare() != req.to())
                              return req.error(xml::error_condition::forbidden);
                          (this->*fn)(req);
                      });
        };
        on(server::iq_type::get, "blocklist", &blocking::get);
        on(server::iq_type::set, "block", &blocking::block);
        on(server::iq_type::set, "unblock", &blocking::unblock);
        ctx.on<server::client_stanza>([this](server::client_stanza& ev) { return outbound(ev.s); },
                                      filter_priority);
        ctx.on<server::account_stanza>([this](server::account_stanza& ev) { return inbound(ev); },
                                       filter_priority);
        ctx.on<server::session_closed>([this](server::session_closed& ev) {
            audience_.leave(ev.full);
            return handled::no;
        });
        ctx.on<server::account_removed>([this](server::account_removed& ev) {
            if (auto j = xml::jid::parse(ev.user + "@" + ev.host)) lists_.clear(*j);
            return handled::no;
        });
    }

  private:
    // Start-up (no I/O thread runs yet): every list into memory.
    void load() {
        std::promise<storage::result<std::vector<storage::map_entry>>> done;
        ctx_->storage().post([&done](storage::database& db) {
            done.set_value(storage::map_store(db, std::string(store_name)).everything());
        });
        auto all = done.get_future().get();
        if (!all) throw std::runtime_error("cannot read block lists: " + all.error().message);
        for (const auto& e : all.value())
            if (auto j = xml::jid::parse(e.account.user + "@" + e.account.host))
                lists_.add(*j, {e.key});
    }

    // XEP-0191 §3.3: the user's own stanzas to a blocked JID are refused.
    handled outbound(const server::routed_stanza& s) {
        if (s.to.empty() || !lists_.blocks(s.from, s.to)) return handled::no;
        if (s.el->attr_or("type", "") == "error") return handled::yes;
        auto err = xml::make_error(xml::error_condition::not_acceptable);
        err.app_condition = xml::builder(ns_blocking_errors, "blocked").done();
        // Straight back to the sending resource: routed, it would come "from"
        // the blocked JID and be stopped by the very block it reports.
        auto reply = xml::stanza(s.el).error_reply(err);
        ctx_->deliver_now(s.from, xml::stanza(reply).with_addresses(s.to.str(), s.from.str()));
        return handled::yes;
    }

    handled inbound(const server::account_stanza& ev) {
        const auto& s = ev.s;
        // Per stanza between accounts: compared in place, no bare JIDs built.
        if (s.from.local() == s.to.local() && s.from.domain() == s.to.domain()) return handled::no;
        auto type = s.el->attr_or("type", "");
        if (lists_.blocks(s.to, s.from)) {
            // XEP-0191 §3.3: presence is dropped silently; messages and requests
            // get <service-unavailable/>, as if the user did not exist.
            bool request = type == "get" || type == "set";
            if (ev.kind == xml::stanza_kind::message ||
                (ev.kind == xml::stanza_kind::iq && request))
                ctx_->bounce(s, xml::make_error(xml::error_condition::service_unavailable));
            return handled::yes;
        }
        // What the server sends on a user's behalf (presence broadcast, probe
        // answers) does not reach those the user blocked; errors still do.
        if (type != "error" && lists_.blocks(s.from, s.to)) return handled::yes;
        return handled::no;
    }

    void get(const server::iq_request& req) {
        audience_.join(req.from());
        xml::builder list(ns_blocking, "blocklist");
        for (const auto& j : lists_.list(req.to()))
            list.child(xml::builder(ns_blocking, "item").attr("jid", j));
        req.reply(list.done());
    }

    // The <item jid=''/> children, prepared; nullopt (after answering) when bad.
    static std::optional<std::vector<xml::jid>> items_of(const server::iq_request& req) {
        std::vector<xml::jid> jids;
        for (const auto* item : req.payload().children()) {
            if (item->name() != xml::qname{std::string(ns_blocking), "item"}) continue;
            auto j = xml::jid::parse(item->attr_or("jid", ""));
            if (!j) {
                req.error(xml::error_condition::jid_malformed, "invalid item jid");
                return std::nullopt;
            }
            jids.push_back(*j);
        }
        return jids;
    }

    void block(const server::iq_request& req) {
        auto jids = items_of(req);
        if (!jids) return;
        // XEP-0191 §3.3: a block without items is a bad request.
        if (jids->empty()) return req.error(xml::error_condition::bad_request, "no items");
        book_->with(req.to(), [this, req, jids = *jids](roster_txn* txn) {
            if (!txn || !write(txn->account(), jids, true))
                return req.error(xml::error_condition::internal_server_error);
            // The user goes offline for whoever could see them, before the block
            // keeps even that unavailable presence away.
            for (const auto& j : jids)
                if (const auto* item = txn->find(j.bare()); item && item->state.contact_receives())
                    announce_unavailable(*ctx_, txn->account(), j);
            lists_.add(txn->account(), strings(jids));
            req.reply();
            push(txn->account(), "block", jids);
        });
    }

    void unblock(const server::iq_request& req) {
        auto jids = items_of(req);
        if (!jids) return;
        book_->with(req.to(), [this, req, jids = *jids](roster_txn* txn) mutable {
            if (!txn) return req.error(xml::error_condition::internal_server_error);
            const auto& account = txn->account();
            // XEP-0191 §3.5: <unblock/> without items lifts every block.
            if (jids.empty())
                for (const auto& s : lists_.list(account))
                    if (auto j = xml::jid::parse(s)) jids.push_back(*j);
            if (!write(account, jids, false))
                return req.error(xml::error_condition::internal_server_error);
            lists_.remove(account, strings(jids));
            // XEP-0191 §3.4: the contact sees the user's presence again, and the
            // user learns the contact's.
            for (const auto& j : jids) {
                const auto* item = txn->find(j.bare());
                if (item && item->state.contact_receives()) announce_presence(*ctx_, account, j);
                if (item && item->state.user_receives())
                    ctx_->send(xml::builder("jabber:client", "presence")
                                   .attr("type", "probe")
                                   .attr("from", account.str())
                                   .attr("to", j.str())
                                   .done());
            }
            req.reply();
            push(account, "unblock",
                 req.payload().children().empty() ? std::vector<xml::jid>{} : jids);
        });
    }

    // On the account's strand (a storage thread), committed before anyone hears.
    bool write(const xml::jid& account, const std::vector<xml::jid>& jids, bool add) {
        auto& db = ctx_->storage().db();
        storage::database::transaction tx(db);
        if (!tx.active()) return false;
        storage::map_store store(db, std::string(store_name));
        for (const auto& j : jids) {
            auto r = add ? store.set(account_of(account), j.str(), "")
                         : store.remove(account_of(account), j.str());
            if (!r && r.error().code != storage::errc::not_found) return false;
        }
        return bool(tx.commit());
    }

    // XEP-0191 §3.3/§3.4: every resource that asked for the list hears of changes.
    void push(const xml::jid& account, std::string_view what, const std::vector<xml::jid>& jids) {
        xml::builder change(ns_blocking, what);
        for (const auto& j : jids)
            change.child(xml::builder(ns_blocking, "item").attr("jid", j.str()));
        audience_.push(*ctx_, account, change.done());
    }

    static std::vector<std::string> strings(const std::vector<xml::jid>& jids) {
        std::vector<std::string> out;
        for (const auto& j : jids) out.push_back(j.str());
        return out;
    }

    server::module_context* ctx_ = nullptr;
    std::shared_ptr<roster_book> book_;
    blocklists lists_;
    push_audience audience_{"block"};
};

}  // namespace

server::module_info blocking_module_info() {
    return {"blocking", {{"XEP-0191", "1.3"}}, [] { return std::make_unique<blocking>(); }};
}

}  // namespace modules
