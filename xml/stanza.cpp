#include "xml/stanza.hpp"

#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace xml {

stanza_kind stanza::kind() const {
    if (el_->ns() != ns::client && el_->ns() != ns::server) return stanza_kind::other;
    const auto& n = el_->local_name();
    if (n == "message") return stanza_kind::message;
    if (n == "presence") return stanza_kind::presence;
    if (n == "iq") return stanza_kind::iq;
    return stanza_kind::other;
}

element_ptr stanza::with_addresses(std::string_view from, std::string_view to) const {
    builder b(*el_);
    if (from.empty())
        b.remove_attr("from");
    else
        b.attr("from", from);
    if (to.empty())
        b.remove_attr("to");
    else
        b.attr("to", to);
    return b.done();
}

element_ptr stanza::stamped(element_ptr el, std::string_view from,
                            std::optional<std::string_view> to) {
    if (el.use_count() != 1) {
        stanza st(std::move(el));
        return st.with_addresses(from, to ? *to : st.to_attr());
    }
    // The sole owner, and elements are created non-const (make_shared<element>):
    // changing it before anyone else can see it keeps the immutability promise.
    auto& own = const_cast<xml::element&>(*el);
    auto stamp = [&](const char* name, std::string_view value) {
        if (value.empty())
            own.remove_attr(name);
        else
            own.set_attr(name, value);
    };
    stamp("from", from);
    if (to) stamp("to", *to);
    return el;
}

element_ptr stanza::error_reply(const stanza_error& err) const {
    builder b(*el_);
    auto from = std::string(from_attr());
    auto to = std::string(to_attr());
    b.remove_attr("from").remove_attr("to");
    if (!to.empty()) b.attr("from", to);
    if (!from.empty()) b.attr("to", from);
    b.attr("type", "error");
    b.child(to_element(err));
    return b.done();
}

element_ptr stanza::iq_result(element_ptr payload) const {
    builder b(el_->ns(), "iq");
    b.attr("type", "result").attr("id", id());
    if (auto to = to_attr(); !to.empty()) b.attr("from", to);
    if (auto from = from_attr(); !from.empty()) b.attr("to", from);
    if (payload) b.child(std::move(payload));
    return b.done();
}

}  // namespace xml
