// Fluent construction of new elements:
//   auto iq = xml::builder(ns::client, "iq").attr("type", "result").attr("id", id)
//                 .child(xml::builder(ns::ping, "ping")).done();
#pragma once

#include "xml/element.hpp"

namespace xml {

class builder {
  public:
    builder(std::string_view ns, std::string_view name);
    // Start from a shallow copy of an existing element (children are shared).
    explicit builder(const element& from);

    builder& attr(std::string_view name, std::string_view value);
    builder& attr(std::string_view ns, std::string_view name, std::string_view value);
    builder& remove_attr(std::string_view name);
    builder& child(element_ptr child);
    builder& child(builder& child);
    builder& child(builder&& child);
    builder& text(std::string_view text);
    // A child element holding only text: <name xmlns='ns'>text</name>.
    builder& text_child(std::string_view ns, std::string_view name, std::string_view text);

    element_ptr done();

  private:
    std::shared_ptr<element> el_;
};

}  // namespace xml
