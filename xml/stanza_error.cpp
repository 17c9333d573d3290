#include "xml/stanza_error.hpp"

#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace xml {

std::string_view to_string(error_type t) {
    switch (t) {
        case error_type::auth:
            return "auth";
        case error_type::cancel:
            return "cancel";
        case error_type::continue_:
            return "continue";
        case error_type::modify:
            return "modify";
        case error_type::wait:
            return "wait";
    }
    return "cancel";
}

std::string_view to_string(error_condition c) {
    static constexpr std::string_view names[] = {
        "bad-request",
        "conflict",
        "feature-not-implemented",
        "forbidden",
        "gone",
        "internal-server-error",
        "item-not-found",
        "jid-malformed",
        "not-acceptable",
        "not-allowed",
        "not-authorized",
        "policy-violation",
        "recipient-unavailable",
        "redirect",
        "registration-required",
        "remote-server-not-found",
        "remote-server-timeout",
        "resource-constraint",
        "service-unavailable",
        "subscription-required",
        "undefined-condition",
        "unexpected-request",
    };
    return names[static_cast<int>(c)];
}

// RFC 6120 §8.3.3: the type each condition is usually sent with.
error_type default_type(error_condition c) {
    using ec = error_condition;
    switch (c) {
        case ec::bad_request:
        case ec::jid_malformed:
        case ec::not_acceptable:
        case ec::policy_violation:
        case ec::redirect:
            return error_type::modify;
        case ec::forbidden:
        case ec::not_authorized:
        case ec::registration_required:
        case ec::subscription_required:
            return error_type::auth;
        case ec::recipient_unavailable:
        case ec::remote_server_timeout:
        case ec::resource_constraint:
        case ec::unexpected_request:
            return error_type::wait;
        default:
            return error_type::cancel;
    }
}

stanza_error make_error(error_condition c, std::string text) {
    return stanza_error{default_type(c), c, std::move(text), nullptr};
}

element_ptr to_element(const stanza_error& e) {
    builder err(ns::client, "error");
    err.attr("type", to_string(e.type));
    err.child(builder(ns::stanzas, to_string(e.condition)));
    if (!e.text.empty())
        err.child(builder(ns::stanzas, "text").attr(ns::xml, "lang", "en").text(e.text));
    if (e.app_condition) err.child(e.app_condition);
    return err.done();
}

std::string_view to_string(stream_condition c) {
    static constexpr std::string_view names[] = {
        "bad-format",
        "bad-namespace-prefix",
        "conflict",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "invalid-xml",
        "not-authorized",
        "not-well-formed",
        "policy-violation",
        "remote-connection-failed",
        "reset",
        "resource-constraint",
        "restricted-xml",
        "see-other-host",
        "system-shutdown",
        "undefined-condition",
        "unsupported-encoding",
        "unsupported-feature",
        "unsupported-stanza-type",
        "unsupported-version",
    };
    return names[static_cast<int>(c)];
}

element_ptr stream_error_element(stream_condition c, std::string_view text) {
    builder err(ns::stream, "error");
    err.child(builder(ns::streams, to_string(c)));
    if (!text.empty()) err.child(builder(ns::streams, "text").text(text));
    return err.done();
}

}  // namespace xml
