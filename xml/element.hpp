// The XML element Parley passes around. Built once (by the parser or a builder),
// then shared as std::shared_ptr<const element> and never changed: a stanza routed
// to a hundred receivers is one allocation, and re-stamping 'from' copies only the
// top-level node while sharing its children.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "xml/qname.hpp"

namespace xml {

class element;
using element_ptr = std::shared_ptr<const element>;

struct attribute {
    std::string ns;  // empty for unqualified attributes (the common case)
    std::string name;
    std::string value;
};

// A child is either an element or a run of character data.
struct node {
    element_ptr child;  // null for text
    std::string text;
};
// Most elements of a stanza have one child or one run of text (<body>, the
// payload of an IQ): that one is kept inline, so building it allocates nothing.
using node_list = boost::container::small_vector<node, 1>;

class element {
  public:
    element() = default;
    explicit element(qname name) : name_(std::move(name)) {}
    element(std::string_view ns, std::string_view name)
        : name_{std::string(ns), std::string(name)} {}

    const qname& name() const { return name_; }
    const std::string& ns() const { return name_.ns; }
    const std::string& local_name() const { return name_.name; }

    const std::vector<attribute>& attributes() const { return attrs_; }
    // Unqualified attribute by name; nullopt when absent.
    std::optional<std::string_view> attr(std::string_view name) const;
    // Namespaced attribute (e.g. xml:lang is {ns::xml, "lang"}).
    std::optional<std::string_view> attr(std::string_view ns, std::string_view name) const;
    std::string_view attr_or(std::string_view name, std::string_view fallback) const;

    const node_list& nodes() const { return nodes_; }
    // First child element with this qname / of this namespace; null when none.
    const element* child(std::string_view ns, std::string_view name) const;
    const element* first_child() const;
    const element* first_child_in(std::string_view ns) const;
    std::vector<const element*> children() const;
    std::size_t child_count() const;
    // Concatenated character data directly inside this element.
    std::string text() const;

    // Mutation is for the parser and xml::builder, before the element is shared.
    void set_attr(std::string_view name, std::string_view value);
    void set_attr(std::string_view ns, std::string_view name, std::string_view value);
    void remove_attr(std::string_view name);
    void add_child(element_ptr child);
    void add_text(std::string_view text);
    std::vector<attribute>& mutable_attributes() { return attrs_; }
    node_list& mutable_nodes() { return nodes_; }

  private:
    qname name_;
    std::vector<attribute> attrs_;
    node_list nodes_;
};

}  // namespace xml
