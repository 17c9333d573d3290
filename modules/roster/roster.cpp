// RFC 6121 §2 roster management: get (with XEP-0237-style versioning, RFC 6121
// §2.6), set and remove, each change pushed to every interested resource. Items
// live in the "roster" map store, the version in the "roster_version" keyval.
// Storage work runs on storage threads; replies and pushes go through the router.
#include "modules/roster/roster.hpp"

#include <atomic>
#include <mutex>
#include <set>

#include "modules/roster/roster_item.hpp"
#include "server/storage_executor.hpp"
#include "storage/store.hpp"

namespace modules {
namespace {

constexpr std::string_view ns_rosterver = "urn:xmpp:features:rosterver";

storage::account_ref account_of(const xml::jid& j) {
    return {j.local(), j.domain()};
}

class roster final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        ctx_ = &ctx;
        max_items_ = std::size_t(ctx.option_int("max_items", 1000, 1, 100000));
        limits_.max_groups = std::size_t(ctx.option_int("max_groups", 64, 1, 1000));
        ctx.on<server::stream_features>([](server::stream_features& ev) {
            // RFC 6121 §2.6.1: roster versioning is advertised as a stream feature.
            if (ev.authenticated) ev.features.push_back(xml::builder(ns_rosterver, "ver").done());
            return server::handled::no;
        });
        xml::qname query{std::string(ns_roster), "query"};
        ctx.on_iq(server::iq_type::get, server::to_kind::bare, query,
                  [this](const server::iq_request& req) { get(req); });
        ctx.on_iq(server::iq_type::set, server::to_kind::bare, query,
                  [this](const server::iq_request& req) { set(req); });
        ctx.on<server::session_closed>([this](server::session_closed& ev) {
            std::lock_guard lock(mu_);
            interested_.erase(ev.full.str());
            return server::handled::no;
        });
    }

  private:
    // RFC 6121 §2.1.5: only the account itself manages its roster.
    static bool own_roster(const server::iq_request& req) { return req.from().bare() == req.to(); }

    void get(const server::iq_request& req) {
        if (!own_roster(req)) return req.error(xml::error_condition::forbidden);
        auto client_ver = std::string(req.payload().attr_or("ver", ""));
        bool versioned = req.payload().attr("ver").has_value();
        ctx_->storage().post([this, req, client_ver, versioned](storage::database& db) {
            auto account = account_of(req.to());
            auto ver = storage::keyval_store(db, "roster_version").get(account);
            auto items = storage::map_store(db, "roster").all(account);
            if (!ver || !items) return req.error(xml::error_condition::internal_server_error);
            std::string current = ver.value().value_or("0");
            {
                std::lock_guard lock(mu_);
                interested_.insert(req.from().str());
            }
            // RFC 6121 §2.6.3: an up-to-date client gets an empty result.
            if (versioned && client_ver == current) return req.reply();
            xml::builder q(ns_roster, "query");
            q.attr("ver", current);
            for (const auto& [key, value] : items.value())
                if (auto item = roster_item::deserialize(value)) q.child(item->to_element());
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
        ctx_->storage().post([this, req, change = *parsed.change](storage::database& db) {
            apply(db, req, change);
        });
    }

    void apply(storage::database& db, const server::iq_request& req, const roster_change& change) {
        auto account = account_of(req.to());
        storage::map_store items(db, "roster");
        auto existing = items.get(account, change.jid.str());
        if (!existing) return req.error(xml::error_condition::internal_server_error);
        roster_item item;
        if (change.remove) {
            if (!existing.value()) return req.error(xml::error_condition::item_not_found);
            if (!items.remove(account, change.jid.str()))
                return req.error(xml::error_condition::internal_server_error);
            item.jid = change.jid;
            item.subscription = "remove";
        } else {
            if (existing.value()) {
                item = roster_item::deserialize(*existing.value()).value_or(roster_item{});
            } else {
                auto count = items.count(account);
                if (!count) return req.error(xml::error_condition::internal_server_error);
                if (count.value() >= max_items_)
                    return req.error(xml::error_condition::not_allowed, "the roster is full");
            }
            item.jid = change.jid;
            item.name = change.name;
            item.groups = change.groups;
            if (!items.set(account, change.jid.str(), item.serialize()))
                return req.error(xml::error_condition::internal_server_error);
        }
        auto ver = bump_version(db, account);
        if (!ver) return req.error(xml::error_condition::internal_server_error);
        req.reply();
        push(req.to(), item, *ver);
    }

    static std::optional<std::string> bump_version(storage::database& db,
                                                   const storage::account_ref& account) {
        storage::keyval_store versions(db, "roster_version");
        auto ver = versions.get(account);
        if (!ver) return std::nullopt;
        auto next = std::to_string(std::stoll(ver.value().value_or("0")) + 1);
        if (!versions.set(account, next)) return std::nullopt;
        return next;
    }

    // RFC 6121 §2.1.6: a push to every resource that asked for the roster.
    void push(const xml::jid& account, const roster_item& item, const std::string& ver) {
        auto query =
            xml::builder(ns_roster, "query").attr("ver", ver).child(item.to_element()).done();
        for (const auto& full : ctx_->bound_resources(account)) {
            {
                std::lock_guard lock(mu_);
                if (!interested_.count(full.str())) continue;
            }
            ctx_->send(xml::builder("jabber:client", "iq")
                           .attr("type", "set")
                           .attr("id", "push" + std::to_string(++push_id_))
                           .attr("from", account.str())
                           .attr("to", full.str())
                           .child(query)
                           .done());
        }
    }

    server::module_context* ctx_ = nullptr;
    roster_limits limits_;
    std::size_t max_items_ = 1000;
    std::mutex mu_;
    std::set<std::string> interested_;  // full JIDs that requested the roster
    std::atomic<unsigned long> push_id_{0};
};

}  // namespace

server::module_info roster_module_info() {
    return {"roster", {{"RFC 6121", "§2"}}, [] { return std::make_unique<roster>(); }};
}

}  // namespace modules
