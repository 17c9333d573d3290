// A cheap view over a top-level element that is a stanza (message, presence, iq).
#pragma once

#include <optional>
#include <string_view>

#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/stanza_error.hpp"

namespace xml {

enum class stanza_kind { message, presence, iq, other };

class stanza {
  public:
    explicit stanza(element_ptr el) : el_(std::move(el)) {}

    const element_ptr& element() const { return el_; }
    stanza_kind kind() const;
    std::string_view type() const { return el_->attr_or("type", ""); }
    std::string_view id() const { return el_->attr_or("id", ""); }
    std::string_view to_attr() const { return el_->attr_or("to", ""); }
    std::string_view from_attr() const { return el_->attr_or("from", ""); }
    // First child element (the IQ payload).
    const xml::element* payload() const { return el_->first_child(); }

    // A copy with 'from' and 'to' replaced (empty string removes the attribute);
    // children are shared, not copied.
    element_ptr with_addresses(std::string_view from, std::string_view to) const;

    // with_addresses for a stanza nobody else holds yet (fresh from the parser):
    // when `el` is the only reference it is stamped in place, saving the copy on
    // the path every client stanza takes; otherwise it is copied. No `to`
    // (nullopt) leaves 'to' as it is.
    static element_ptr stamped(element_ptr el, std::string_view from,
                               std::optional<std::string_view> to);

    // RFC 6120 §8.3.1: an error reply: to/from swapped, type='error', the original
    // children kept, plus the <error/>.
    element_ptr error_reply(const stanza_error& err) const;
    // An empty IQ result for this IQ (type='result', same id, addresses swapped).
    element_ptr iq_result(element_ptr payload = nullptr) const;

  private:
    element_ptr el_;
};

}  // namespace xml
