#include "modules/offline/offline_message.hpp"

#include <chrono>

#include "xml/builder.hpp"
#include "xml/datetime.hpp"
#include "xml/namespaces.hpp"

namespace modules {

bool is_storable(const xml::element& message) {
    if (message.name() != xml::qname{std::string(xml::ns::client), "message"}) return false;
    auto type = message.attr_or("type", "normal");
    return type == "normal" || type == "chat";
}

std::string stamp(std::int64_t when_ms) {
    return xml::datetime(std::chrono::system_clock::time_point(std::chrono::milliseconds(when_ms)));
}

xml::element_ptr delayed_copy(const xml::element& stored, std::string_view to,
                              std::string_view domain, std::int64_t when_ms) {
    // XEP-0203 §3: 'from' names the entity that delayed the stanza, here the
    // recipient's server; 'stamp' is when it started to hold it.
    return xml::builder(stored)
        .attr("to", to)
        .child(xml::builder(ns_delay, "delay").attr("from", domain).attr("stamp", stamp(when_ms)))
        .done();
}

}  // namespace modules
