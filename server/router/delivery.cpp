// The delivery table: RFC 6121 §8.5 for local destinations, RFC 6120 §10.4 for
// remote ones. Every "nobody can take this" ends in router::bounce, here and
// nowhere else, so no stanza is dropped without the RFC saying it may be.
#include "server/log.hpp"
#include "server/router/router.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace server {

using xml::error_condition;
using xml::stanza_kind;

namespace {

bool is_iq_request(std::string_view type) {
    return type == "get" || type == "set";
}

}  // namespace

std::shared_ptr<const std::string> serialize_for_clients(const xml::element& el) {
    return std::make_shared<const std::string>(xml::to_string(el, xml::ns::client));
}

router::router(std::set<std::string> hosts, const event_bus& events, const iq_dispatch& iqs)
    : hosts_(std::move(hosts)), events_(events), iqs_(iqs) {}

void router::route(xml::element_ptr el) {
    auto from = xml::jid::parse(el->attr_or("from", ""));
    auto to_text = el->attr_or("to", "");
    auto to = to_text.empty() ? std::optional<xml::jid>(xml::jid{}) : xml::jid::parse(to_text);
    if (!from || !to) {
        log::error("router", "server-built stanza with bad addresses dropped: from='",
                   el->attr_or("from", ""), "' to='", to_text, "'");
        return;
    }
    route(routed_stanza{std::move(el), std::move(*from), std::move(*to)});
}

void router::route(routed_stanza s) {
    auto kind = xml::stanza(s.el).kind();
    // RFC 6121 outbound processing: modules see what a client sent first.
    if (s.origin == origin::client && events_.fire(client_stanza{s, kind}) == handled::yes) return;
    // RFC 6120 §10.3: no 'to' means the sender's own account. Presence without
    // 'to' is the broadcast of RFC 6121 §4.2.
    if (s.to.empty()) {
        if (kind == stanza_kind::presence) return presence_broadcast(s);
        s.to = s.from.bare();
    }
    if (!is_local(s.to.domain())) {
        // No server-to-server yet: RFC 6120 §10.4.3.
        if (kind != stanza_kind::presence) bounce(s, error_condition::remote_server_not_found);
        return;
    }
    if (s.to.is_domain()) return route_to_host(s, kind);
    // RFC 6121 inbound processing: modules see what an account receives first.
    if (events_.fire(account_stanza{s, kind}) == handled::yes) return;
    if (!s.to.is_bare()) return route_to_full(s, kind);
    route_to_bare(s, kind);
}

void router::route_to_host(const routed_stanza& s, stanza_kind kind) {
    auto type = xml::stanza(s.el).type();
    switch (kind) {
        case stanza_kind::iq:
            if (is_iq_request(type)) return dispatch_iq(s, to_kind::host);
            return;  // replies to server-originated IQs: nothing waits for them yet
        case stanza_kind::message:
            // RFC 6121 §8.5.1 leaves this to the server; nothing here reads messages.
            if (type != "error" && type != "groupchat" && type != "headline")
                bounce(s, error_condition::service_unavailable);
            return;
        default:
            return;  // presence to the server: RFC 6121 §8.5.1, nothing to do
    }
}

void router::route_to_full(const routed_stanza& s, stanza_kind kind) {
    if (auto ep = sessions_.find(s.to)) return deliver(ep, serialize_for_clients(*s.el));
    auto type = xml::stanza(s.el).type();
    switch (kind) {
        case stanza_kind::message:
            // RFC 6121 §8.5.3.2.1: no such resource -> treat as sent to the bare JID,
            // except groupchat (error) and error (dropped) messages.
            if (type == "groupchat") return bounce(s, error_condition::service_unavailable);
            if (type == "error") return;
            return message_to_bare(s);
        case stanza_kind::iq:
            // RFC 6121 §8.5.3.2.1: IQ to an unavailable resource.
            if (is_iq_request(type)) bounce(s, error_condition::service_unavailable);
            return;
        default:
            return;  // RFC 6121 §8.5.3.2.3: presence to an unknown resource is ignored
    }
}

void router::route_to_bare(const routed_stanza& s, stanza_kind kind) {
    switch (kind) {
        case stanza_kind::iq: {
            // RFC 6121 §8.5.2.1.3: the server answers IQs to a bare JID itself.
            if (is_iq_request(xml::stanza(s.el).type())) dispatch_iq(s, to_kind::bare);
            return;
        }
        case stanza_kind::message:
            return message_to_bare(s);
        default:
            // Presence to an account: every available resource (RFC 6121 §8.5.2.1.2).
            deliver_to_resources(s.to, *s.el);
            return;
    }
}

std::size_t router::deliver_to_resources(const xml::jid& to, const xml::element& el) {
    if (!to.is_bare()) {
        auto ep = sessions_.find(to);
        if (ep) deliver(ep, serialize_for_clients(el));
        return ep ? 1 : 0;
    }
    std::shared_ptr<const std::string> bytes;
    std::size_t n = 0;
    for (const auto& r : sessions_.resources(to)) {
        if (!r.available) continue;
        if (!bytes) bytes = serialize_for_clients(el);
        deliver(r.ep, bytes);
        ++n;
    }
    return n;
}

void router::message_to_bare(const routed_stanza& s) {
    auto type = xml::stanza(s.el).type();
    if (type == "groupchat") return bounce(s, error_condition::service_unavailable);
    // RFC 6121 §8.5.2.1.1 / §8.5.2.2.1: an error to a bare JID is ignored.
    if (type == "error") return;
    // RFC 6121 §8.5.2.1.1: every available resource with non-negative priority
    // (for chat and normal too: Parley does not pick one "best" resource).
    std::shared_ptr<const std::string> bytes;
    bool delivered = false;
    for (const auto& r : sessions_.resources(s.to)) {
        if (!r.available || r.priority < 0) continue;
        if (!bytes) bytes = serialize_for_clients(*s.el);
        deliver(r.ep, bytes);
        delivered = true;
    }
    if (delivered) return;
    // RFC 6121 §8.5.2.2.1: headlines to nobody are dropped.
    if (type == "headline") return;
    message_undeliverable ev{s.to.bare(), s.el};
    if (events_.fire(ev) == handled::yes) return;
    bounce(s, error_condition::service_unavailable);
}

void router::presence_broadcast(const routed_stanza& s) {
    // Basic RFC 6121 §4.2.2 / §4.5.2 broadcast to the account's own available
    // resources (the sender included); subscriptions come with the roster.
    auto bytes = serialize_for_clients(*s.el);
    for (const auto& r : sessions_.resources(s.from))
        if (r.available || r.full == s.from) deliver(r.ep, bytes);
}

void router::dispatch_iq(const routed_stanza& s, to_kind kind) {
    xml::stanza iq(s.el);
    const auto* payload = iq.payload();
    auto type = iq.type() == "get" ? iq_type::get : iq_type::set;
    if (payload) {
        if (const auto* fn = iqs_.find(type, kind, payload->name())) {
            (*fn)(iq_request(iq, s.from, s.to, *this));
            return;
        }
    }
    bounce(s, error_condition::service_unavailable);
}

void router::deliver(const std::shared_ptr<endpoint>& ep,
                     const std::shared_ptr<const std::string>& bytes) {
    ep->deliver(bytes);
}

void router::bounce(const routed_stanza& s, error_condition c, std::string text) {
    bounce(s, xml::make_error(c, std::move(text)));
}

void router::bounce(const routed_stanza& s, const xml::stanza_error& err) {
    xml::stanza st(s.el);
    if (st.type() == "error") return;
    auto reply = st.error_reply(err);
    // The error comes from the entity the stanza was addressed to; a stanza with
    // no 'to' was addressed to the sender's own account.
    auto from = s.to.empty() ? s.from.bare() : s.to;
    auto stamped = xml::stanza(reply).with_addresses(from.str(), s.from.str());
    route(routed_stanza{std::move(stamped), std::move(from), s.from, origin::server});
}

}  // namespace server
