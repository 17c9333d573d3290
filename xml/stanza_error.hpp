// RFC 6120 §8.3 stanza errors and §4.9 stream errors as values.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace xml {

enum class error_type { auth, cancel, continue_, modify, wait };

enum class error_condition {
    bad_request,
    conflict,
    feature_not_implemented,
    forbidden,
    gone,
    internal_server_error,
    item_not_found,
    jid_malformed,
    not_acceptable,
    not_allowed,
    not_authorized,
    policy_violation,
    recipient_unavailable,
    redirect,
    registration_required,
    remote_server_not_found,
    remote_server_timeout,
    resource_constraint,
    service_unavailable,
    subscription_required,
    undefined_condition,
    unexpected_request,
};

struct stanza_error {
    error_type type = error_type::cancel;
    error_condition condition = error_condition::service_unavailable;
    std::string text;
    // Optional application-specific child (e.g. XEP-0191 <blocked/>).
    element_ptr app_condition;
};

std::string_view to_string(error_type t);
std::string_view to_string(error_condition c);
// The RFC 6120 §8.3.3 default type for each condition.
error_type default_type(error_condition c);
stanza_error make_error(error_condition c, std::string text = {});

// <error type='...'><condition xmlns='...stanzas'/><text/>...</error> in jabber:client.
element_ptr to_element(const stanza_error& e);

enum class stream_condition {
    bad_format,
    bad_namespace_prefix,
    conflict,
    connection_timeout,
    host_gone,
    host_unknown,
    improper_addressing,
    internal_server_error,
    invalid_from,
    invalid_namespace,
    invalid_xml,
    not_authorized,
    not_well_formed,
    policy_violation,
    remote_connection_failed,
    reset,
    resource_constraint,
    restricted_xml,
    see_other_host,
    system_shutdown,
    undefined_condition,
    unsupported_encoding,
    unsupported_feature,
    unsupported_stanza_type,
    unsupported_version,
};

std::string_view to_string(stream_condition c);
// <stream:error><condition xmlns='...streams'/><text>..</text></stream:error>
element_ptr stream_error_element(stream_condition c, std::string_view text = {});

}  // namespace xml
