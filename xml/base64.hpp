// Base64 (RFC 4648 §4) as XMPP uses it: SASL payloads (RFC 6120 §6.4.2) and
// stored SCRAM secrets (RFC 5803). Decoding is strict: no whitespace, padding
// required.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xml {

std::string base64_encode(std::string_view in);
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace xml
