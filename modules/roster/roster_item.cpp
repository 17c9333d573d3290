#include "modules/roster/roster_item.hpp"

#include <algorithm>

#include "xml/builder.hpp"
#include "xml/fragment.hpp"
#include "xml/writer.hpp"

namespace modules {

namespace {

xml::builder wire_item(const roster_item& r) {
    xml::builder item(ns_roster, "item");
    item.attr("jid", r.jid.str());
    if (!r.name.empty()) item.attr("name", r.name);
    item.attr("subscription", to_string(r.state.sub));
    if (r.state.pending_out) item.attr("ask", "subscribe");
    if (r.approved) item.attr("approved", "true");
    for (const auto& g : r.groups) item.text_child(ns_roster, "group", g);
    return item;
}

}  // namespace

xml::element_ptr roster_item::to_element() const {
    return wire_item(*this).done();
}

xml::element_ptr roster_item::removed_element(const xml::jid& jid) {
    return xml::builder(ns_roster, "item")
        .attr("jid", jid.str())
        .attr("subscription", "remove")
        .done();
}

std::string roster_item::serialize() const {
    auto item = wire_item(*this);
    if (state.pending_in) item.attr("pending-in", "true");
    if (!in_roster) item.attr("hidden", "true");
    if (!request_status.empty()) item.text_child(ns_roster, "status", request_status);
    return xml::to_string(*item.done(), ns_roster);
}

std::optional<roster_item> roster_item::deserialize(std::string_view text) {
    auto el = xml::parse_fragment(text, ns_roster);
    if (!el) return std::nullopt;
    auto jid = xml::jid::parse(el->attr_or("jid", ""));
    auto sub = parse_subscription(el->attr_or("subscription", "none"));
    if (!jid || !sub) return std::nullopt;
    roster_item item;
    item.jid = *jid;
    item.name = el->attr_or("name", "");
    item.state.sub = *sub;
    item.state.pending_out = el->attr_or("ask", "") == "subscribe";
    item.state.pending_in = el->attr_or("pending-in", "") == "true";
    item.approved = el->attr_or("approved", "") == "true";
    item.in_roster = el->attr_or("hidden", "") != "true";
    for (const auto* c : el->children()) {
        if (c->name() == xml::qname{std::string(ns_roster), "group"})
            item.groups.push_back(c->text());
        if (c->name() == xml::qname{std::string(ns_roster), "status"})
            item.request_status = c->text();
    }
    return item;
}

roster_change_result parse_roster_set(const xml::element& query, const roster_limits& limits) {
    using xml::error_condition;
    auto items = query.children();
    // RFC 6121 §2.3.3: exactly one item per set.
    if (items.size() != 1 || items[0]->name() != xml::qname{std::string(ns_roster), "item"})
        return {std::nullopt, error_condition::bad_request,
                "a roster set carries exactly one item"};
    const auto& item = *items[0];
    auto jid = xml::jid::parse(item.attr_or("jid", ""));
    if (!jid) return {std::nullopt, error_condition::bad_request, "invalid or missing jid"};
    roster_change change;
    change.jid = jid->bare();
    // Only 'remove' may be set by a client; other subscription values are the
    // server's to decide and are ignored (RFC 6121 §2.1.2.5).
    change.remove = item.attr_or("subscription", "") == "remove";
    if (change.remove) return {change, {}, {}};
    change.name = item.attr_or("name", "");
    if (change.name.size() > limits.max_name_bytes)
        return {std::nullopt, error_condition::not_acceptable, "name too long"};
    for (const auto* g : item.children()) {
        if (g->name() != xml::qname{std::string(ns_roster), "group"}) continue;
        auto group = g->text();
        if (group.empty())
            return {std::nullopt, error_condition::not_acceptable, "empty group name"};
        if (group.size() > limits.max_group_bytes)
            return {std::nullopt, error_condition::not_acceptable, "group name too long"};
        // RFC 6121 §2.3.3: the same group twice is a bad request.
        if (std::find(change.groups.begin(), change.groups.end(), group) != change.groups.end())
            return {std::nullopt, error_condition::bad_request, "duplicate group"};
        change.groups.push_back(std::move(group));
    }
    if (change.groups.size() > limits.max_groups)
        return {std::nullopt, error_condition::not_acceptable, "too many groups"};
    return {change, {}, {}};
}

}  // namespace modules
