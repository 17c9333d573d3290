#include "xml/element.hpp"

namespace xml {

std::optional<std::string_view> element::attr(std::string_view name) const {
    for (const auto& a : attrs_)
        if (a.ns.empty() && a.name == name) return std::string_view(a.value);
    return std::nullopt;
}

std::optional<std::string_view> element::attr(std::string_view ns, std::string_view name) const {
    for (const auto& a : attrs_)
        if (a.ns == ns && a.name == name) return std::string_view(a.value);
    return std::nullopt;
}

std::string_view element::attr_or(std::string_view name, std::string_view fallback) const {
    auto v = attr(name);
    return v ? *v : fallback;
}

const element* element::child(std::string_view ns, std::string_view name) const {
    for (const auto& n : nodes_)
        if (n.child && n.child->ns() == ns && n.child->local_name() == name) return n.child.get();
    return nullptr;
}

const element* element::first_child() const {
    for (const auto& n : nodes_)
        if (n.child) return n.child.get();
    return nullptr;
}

const element* element::first_child_in(std::string_view ns) const {
    for (const auto& n : nodes_)
        if (n.child && n.child->ns() == ns) return n.child.get();
    return nullptr;
}

std::vector<const element*> element::children() const {
    std::vector<const element*> out;
    for (const auto& n : nodes_)
        if (n.child) out.push_back(n.child.get());
    return out;
}

std::size_t element::child_count() const {
    std::size_t c = 0;
    for (const auto& n : nodes_)
        if (n.child) ++c;
    return c;
}

std::string element::text() const {
    std::string out;
    for (const auto& n : nodes_)
        if (!n.child) out += n.text;
    return out;
}

void element::set_attr(std::string_view name, std::string_view value) {
    set_attr({}, name, value);
}

void element::set_attr(std::string_view ns, std::string_view name, std::string_view value) {
    for (auto& a : attrs_) {
        if (a.ns == ns && a.name == name) {
            a.value = value;
            return;
        }
    }
    attrs_.push_back({std::string(ns), std::string(name), std::string(value)});
}

void element::remove_attr(std::string_view name) {
    std::erase_if(attrs_, [&](const attribute& a) { return a.ns.empty() && a.name == name; });
}

void element::add_child(element_ptr child) {
    nodes_.push_back({std::move(child), {}});
}

void element::add_text(std::string_view text) {
    if (text.empty()) return;
    // Adjacent character data is one text node (expat reports it in pieces).
    if (!nodes_.empty() && !nodes_.back().child) {
        nodes_.back().text += text;
        return;
    }
    nodes_.push_back({nullptr, std::string(text)});
}

}  // namespace xml
