#include "xml/builder.hpp"

namespace xml {

builder::builder(std::string_view ns, std::string_view name)
    : el_(std::make_shared<element>(ns, name)) {}

builder::builder(const element& from) : el_(std::make_shared<element>(from)) {}

builder& builder::attr(std::string_view name, std::string_view value) {
    el_->set_attr(name, value);
    return *this;
}

builder& builder::attr(std::string_view ns, std::string_view name, std::string_view value) {
    el_->set_attr(ns, name, value);
    return *this;
}

builder& builder::remove_attr(std::string_view name) {
    el_->remove_attr(name);
    return *this;
}

builder& builder::child(element_ptr child) {
    el_->add_child(std::move(child));
    return *this;
}

builder& builder::child(builder& child) {
    return this->child(child.done());
}

builder& builder::child(builder&& child) {
    return this->child(child.done());
}

builder& builder::text(std::string_view text) {
    el_->add_text(text);
    return *this;
}

builder& builder::text_child(std::string_view ns, std::string_view name, std::string_view text) {
    return child(builder(ns, name).text(text));
}

element_ptr builder::done() {
    return el_;
}

}  // namespace xml
