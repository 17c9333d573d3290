// Stanzas on an established client stream (RFC 6120 §8): validate what the
// client may decide, stamp what it may not ('from'), and hand the rest to the
// router.
#include <charconv>

#include "server/log.hpp"
#include "server/stream/c2s_session.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace server {

using xml::error_condition;
using xml::stanza_kind;
namespace ns = xml::ns;

namespace {

bool valid_type(stanza_kind kind, std::string_view type) {
    switch (kind) {
        case stanza_kind::iq:
            return type == "get" || type == "set" || type == "result" || type == "error";
        case stanza_kind::message:
            return type.empty() || type == "chat" || type == "normal" || type == "groupchat" ||
                   type == "headline" || type == "error";
        case stanza_kind::presence:
            return type.empty() || type == "unavailable" || type == "subscribe" ||
                   type == "subscribed" || type == "unsubscribe" || type == "unsubscribed" ||
                   type == "probe" || type == "error";
        case stanza_kind::other:
            break;
    }
    return false;
}

// RFC 6121 §4.7.2.3: an integer in -128..127; anything else counts as 0.
int presence_priority(const xml::element& presence) {
    const auto* p = presence.child(ns::client, "priority");
    if (!p) return 0;
    auto text = p->text();
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return 0;
    return std::clamp(value, -128, 127);
}

}  // namespace

void c2s_session::handle_stanza(xml::element_ptr el) {
    // No xml::stanza view is kept across this function: holding the element only
    // through `el` lets the stamping below change it in place.
    auto kind = xml::stanza(el).kind();
    auto type = el->attr_or("type", "");
    if (el->ns() != ns::client || kind == stanza_kind::other) {
        return fail(xml::stream_condition::unsupported_stanza_type,
                    "unexpected <" + el->local_name() + "/>");
    }
    if (!valid_type(kind, type))
        return stanza_error(el, error_condition::bad_request, "invalid type");
    if (kind == stanza_kind::iq) {
        // RFC 6120 §8.2.3: an id always, exactly one payload for get/set.
        bool request = type == "get" || type == "set";
        if (el->attr_or("id", "").empty() || (request && el->child_count() != 1))
            return stanza_error(el, error_condition::bad_request, "malformed IQ");
    }
    // RFC 6120 §8.1.2.1: a 'from' the client wrote must be its own JID; the server
    // stamps the full JID either way.
    if (auto from = el->attr("from"); from && !from->empty() && *from != jid_text_) {
        auto claimed = xml::jid::parse(*from);
        if (!claimed || (*claimed != jid_ && *claimed != jid_.bare()))
            return fail(xml::stream_condition::invalid_from, "'from' is not this stream's JID");
    }
    xml::jid to;
    // The 'to' stamped on the stanza: none for an empty one, the prepared JID
    // where preparation changed how the client wrote it, else (nullopt) the
    // attribute as it is, since most clients already write it prepared.
    std::string prepared_to;
    std::optional<std::string_view> to_stamp = "";
    if (auto to_text = el->attr_or("to", ""); !to_text.empty()) {
        auto parsed = xml::jid::parse(to_text);
        if (!parsed) return stanza_error(el, error_condition::jid_malformed, "invalid 'to'");
        to = std::move(*parsed);
        if (to.str_equals(to_text))
            to_stamp.reset();
        else
            to_stamp = prepared_to = to.str();
    }
    if (kind == stanza_kind::iq && type == "set" && (to.empty() || to.str_equals(host_))) {
        // RFC 3921 §3: session establishment comes after binding; RFC 6121 Appendix
        // E keeps it as a no-op we still answer, since we advertise it as optional
        // and some clients (Strophe.js) send it whenever it is advertised.
        const auto* payload = el->first_child();
        if (payload && payload->name() == xml::qname{std::string(ns::session), "session"})
            return queue(*xml::stanza(el).iq_result());
    }
    auto stamped = xml::stanza::stamped(std::move(el), jid_text_, to_stamp);
    if (kind == stanza_kind::presence && to.empty()) track_own_presence(stamped);
    ctx_.router.route(routed_stanza{std::move(stamped), jid_, std::move(to), origin::client});
}

void c2s_session::track_own_presence(const xml::element_ptr& stamped) {
    auto type = stamped->attr_or("type", "");
    if (!type.empty() && type != "unavailable") return;  // subscriptions: the roster's business
    bool available = type.empty();
    bool initial = available && !available_;
    available_ = available;
    int priority = presence_priority(*stamped);
    ctx_.router.sessions().set_presence(jid_, available, priority, available ? stamped : nullptr);
    if (!initial) return;
    ctx_.events.fire(resource_available{jid_, priority});
    // RFC 6121 §4.2.2: a resource coming online learns its siblings' presence.
    for (const auto& r : ctx_.router.sessions().resources(jid_.bare())) {
        if (r.full != jid_ && r.available && r.last_presence) queue(*r.last_presence);
    }
}

void c2s_session::stanza_error(const xml::element_ptr& el, error_condition c, std::string text) {
    xml::stanza st(el);
    if (st.type() == "error") return;  // RFC 6120 §8.3.1: never answer an error
    auto reply = st.error_reply(xml::make_error(c, std::move(text)));
    // The reply comes from the server, addressed to this client.
    auto stamped = xml::stanza(reply).with_addresses(jid_.empty() ? "" : host_,
                                                     jid_.empty() ? "" : jid_.str());
    queue(*stamped);
}

}  // namespace server
