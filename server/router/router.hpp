// The single entry for every stanza that has been accepted from a session or
// produced by the server. It decides who receives it (RFC 6120 §10, RFC 6121
// §8.5) and produces the error when nobody can: delivery.cpp holds that table.
// Thread-safe: called from any I/O or storage thread.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "server/hooks/event_bus.hpp"
#include "server/router/iq_dispatch.hpp"
#include "server/router/routed_stanza.hpp"
#include "server/router/sessions.hpp"
#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/stanza.hpp"
#include "xml/stanza_error.hpp"

namespace server {

class router {
  public:
    router(std::set<std::string> hosts, const event_bus& events, const iq_dispatch& iqs);

    bool is_local(std::string_view domain) const { return hosts_.count(std::string(domain)) > 0; }
    server::sessions& sessions() { return sessions_; }

    void route(routed_stanza s);
    // For stanzas built by the server (IQ replies, errors): parses from/to itself.
    void route(xml::element_ptr el);

    // Presence-style delivery without the hooks: to every available resource of
    // a bare JID, or to one bound full JID. Returns the number of sessions.
    std::size_t deliver_to_resources(const xml::jid& to, const xml::element& el);

    // Answers `s` with an error back to its sender, unless it is itself an error
    // (RFC 6120 §8.3.1: never answer an error with an error).
    void bounce(const routed_stanza& s, const xml::stanza_error& err);
    void bounce(const routed_stanza& s, xml::error_condition c, std::string text = {});

  private:
    void route_to_host(const routed_stanza& s, xml::stanza_kind kind);
    void route_to_full(const routed_stanza& s, xml::stanza_kind kind);
    void route_to_bare(const routed_stanza& s, xml::stanza_kind kind);
    void message_to_bare(const routed_stanza& s);
    void presence_broadcast(const routed_stanza& s);
    void dispatch_iq(const routed_stanza& s, to_kind kind);
    void deliver(const std::shared_ptr<endpoint>& ep, const std::shared_ptr<const std::string>& b);

    std::set<std::string> hosts_;
    const event_bus& events_;
    const iq_dispatch& iqs_;
    server::sessions sessions_;
};

// Serialize once for every receiver of this routing (jabber:client context).
std::shared_ptr<const std::string> serialize_for_clients(const xml::element& el);

}  // namespace server
