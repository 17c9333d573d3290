// RFC 6121 §2 roster management: get (with roster versioning, §2.6), set and
// remove, each change pushed to every interested resource by the roster book.
// Removing a contact also ends the subscriptions with it (§2.5.2).
#include "modules/roster/roster.hpp"

#include "modules/presence/announce.hpp"
#include "modules/roster/roster_book.hpp"
#include "modules/roster/roster_item.hpp"
#include "server/admin/account_commands.hpp"
#include "server/storage_executor.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_rosterver = "urn:xmpp:features:rosterver";
constexpr std::string_view ns_preapproval = "urn:xmpp:features:pre-approval";

xml::element_ptr presence(std::string_view type, const xml::jid& from, const xml::jid& to) {
    return xml::builder("jabber:client", "presence")
        .attr("type", type)
        .attr("from", from.str())
        .attr("to", to.str())
        .done();
}

class roster final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx_ = &ctx;
        book_ = roster_book_of(ctx);
        book_->set_max_items(std::size_t(ctx.option_int("max_items", 1000, 1, 100000)));
        limits_.max_groups = std::size_t(ctx.option_int("max_groups", 64, 1, 1000));
        ctx.on<server::stream_features>([](server::stream_features& ev) {
            // RFC 6121 §2.6.1 and §3.4: versioning and pre-approval are stream features.
            if (ev.authenticated) {
                ev.features.push_back(xml::builder(ns_rosterver, "ver").done());
                ev.features.push_back(xml::builder(ns_preapproval, "sub").done());
            }
            return server::handled::no;
        });
        xml::qname query{std::string(ns_roster), "query"};
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, query,
                  [this](const server::iq_request& req) { get(req); });
        ctx.on_iq(server::iq_type::set, server::to_kind::bare, query,
                  [this](const server::iq_request& req) { set(req); });
        ctx.on<server::session_closed>([this](server::session_closed& ev) {
            book_->resource_gone(ev.full);
            return server::handled::no;
        });
        ctx.on<server::account_removing>([this](server::account_removing& ev) {
            if (auto account = xml::jid::make(ev.user, ev.host)) say_goodbye(*account);
            return server::handled::no;
        });
        ctx.on<server::account_removed>([this](server::account_removed& ev) {
            book_->forget(xml::jid::parse(ev.user + "@" + ev.host).value_or(xml::jid{}));
            return server::handled::no;
        });
    }

  private:
    // RFC 6121 §2.1.5: only the account itself manages its roster.
    static bool own_roster(const server::iq_request& req) { return req.from().bare() == req.to(); }

    void get(const server::iq_request& req) {
        if (!own_roster(req)) return req.error(xml::error_condition::forbidden);
        std::optional<std::string> client_ver;
        if (auto v = req.payload().attr("ver")) client_ver = std::string(*v);
        book_->with(req.to(), [this, req, client_ver](roster_txn* txn) {
            if (!txn) return req.error(xml::error_condition::internal_server_error);
            book_->mark_interested(req.from());
            auto current = std::to_string(txn->roster().version);
            // RFC 6121 §2.6.3: an up-to-date client gets an empty result, and the
            // pushes that follow keep it current.
            if (client_ver && *client_ver == current) return req.reply();
            xml::builder q(ns_roster, "query");
            q.attr("ver", current);
            for (const auto& [key, item] : txn->roster().items)
                if (item.in_roster) q.child(item.to_element());
            req.reply(q.done());
        });
    }

    void set(const server::iq_request& req) {
        if (!own_roster(req)) return req.error(xml::error_condition::forbidden);
        auto parsed = parse_roster_set(req.payload(), limits_);
        if (!parsed.change) return req.error(parsed.error, parsed.text);
        if (parsed.change->jid == req.to())
            return req.error(xml::error_condition::not_allowed,
                             "the account itself is not a contact");
        book_->with(req.to(), [this, req, change = *parsed.change](roster_txn* txn) {
            if (!txn) return req.error(xml::error_condition::internal_server_error);
            if (change.remove) return remove(*txn, req, change.jid);
            update(*txn, req, change);
        });
    }

    void update(roster_txn& txn, const server::iq_request& req, const roster_change& change) {
        roster_item item;
        item.jid = change.jid;
        item.in_roster = false;
        if (const auto* old = txn.find(change.jid)) item = *old;
        if (!item.in_roster && !txn.has_room())
            return req.error(xml::error_condition::not_allowed, "the roster is full");
        item.in_roster = true;
        item.name = change.name;
        item.groups = change.groups;
        if (!txn.save(item)) return req.error(xml::error_condition::internal_server_error);
        req.reply();
    }

    // RFC 6121 §2.5.2: removing a contact cancels both directions of the
    // subscription (and a pending request either way) before the item goes.
    void remove(roster_txn& txn, const server::iq_request& req, const xml::jid& contact) {
        const auto* old = txn.find(contact);
        if (!old || !old->in_roster) return req.error(xml::error_condition::item_not_found);
        auto state = old->state;
        if (!txn.erase(contact)) return req.error(xml::error_condition::internal_server_error);
        req.reply();
        const auto& account = txn.account();
        // §3.2.2: a contact that loses its subscription sees the user go, while
        // it is still subscribed: before the 'unsubscribed' (as say_goodbye).
        if (state.contact_receives()) announce_unavailable(*ctx_, account, contact);
        if (state.user_receives() || state.pending_out)
            ctx_->send(presence("unsubscribe", account, contact));
        if (state.contact_receives() || state.pending_in)
            ctx_->send(presence("unsubscribed", account, contact));
    }

    // XEP-0077 §3.2 (as Prosody and ejabberd do): a removed account ends its
    // subscriptions, so contacts' rosters drop to 'none' with the usual pushes.
    // On a storage thread, before the account's rows go.
    void say_goodbye(const xml::jid& account) {
        auto roster = read_roster(ctx_->storage().db(), account);
        if (!roster) return;
        for (const auto& [key, item] : roster->items) {
            if (item.state.contact_receives()) announce_unavailable(*ctx_, account, item.jid);
            if (item.state.user_receives() || item.state.pending_out)
                ctx_->send(presence("unsubscribe", account, item.jid));
            if (item.state.contact_receives() || item.state.pending_in)
                ctx_->send(presence("unsubscribed", account, item.jid));
        }
    }

    server::module_context* ctx_ = nullptr;
    std::shared_ptr<roster_book> book_;
    roster_limits limits_;
};

}  // namespace

std::shared_ptr<roster_book> roster_book_of(server::module_context& ctx) {
    return ctx.shared<roster_book>("roster_book",
                                   [&ctx] { return std::make_shared<roster_book>(ctx); });
}

server::module_info roster_module_info() {
    return {"roster",
            {{"RFC 6121", "§2"}, {"XEP-0237", "1.3"}},
            [] { return std::make_unique<roster>(); },
            [](server::admin::registry&, const server::config&, server::admin::storage_runner) {
                // With the server down there is no goodbye (say_goodbye): the
                // contacts' rosters are changed on the database instead.
                server::admin::add_offline_removal_step(
                    "roster",
                    [](storage::database& db, const server::config& cfg, const std::string& user,
                       const std::string& host) -> storage::result<void> {
                        auto account = xml::jid::make(user, host);
                        if (!account) return {};
                        return end_local_subscriptions(db, *account, cfg.hosts);
                    });
            }};
}

}  // namespace modules
