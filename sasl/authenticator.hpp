// SASL for c2s streams, on cyrus-sasl (RFC 6120 §6, RFC 5802/7677 SCRAM, RFC 4616
// PLAIN, XEP-0440 channel-binding types).
//
// Cyrus gets credentials from an in-process auxprop plugin (SCRAM: the stored
// RFC 5803 authPassword secret) and a checkpass callback (PLAIN: verified against
// the same secret). Both call `credential_source`, which reads storage, so every
// call on a sasl::exchange may block on the disk: the server runs them on a
// storage thread, never on an I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sasl {

// RFC 6120 §6.5 failure conditions.
enum class failure {
    aborted,
    account_disabled,
    credentials_expired,
    encryption_required,
    incorrect_encoding,
    invalid_authzid,
    invalid_mechanism,
    malformed_request,
    mechanism_too_weak,
    not_authorized,
    temporary_auth_failure,
};
std::string_view to_string(failure f);

// Returns the RFC 5803 authPassword value for (user, realm, mechanism name such as
// "SCRAM-SHA-256"), or nullopt when the user or secret does not exist.
using credential_lookup = std::function<std::optional<std::string>(
    std::string_view user, std::string_view realm, std::string_view scram_mechanism)>;
// Checks a plaintext password (PLAIN). False when wrong or no such user.
using password_check =
    std::function<bool(std::string_view user, std::string_view realm, std::string_view password)>;

struct credential_source {
    credential_lookup lookup;
    password_check check;
};

// Process-wide cyrus initialisation; call once before any exchange. Returns an
// error message on failure.
std::optional<std::string> initialize(credential_source source);

struct channel_binding {
    std::string type;  // "tls-exporter", "tls-server-end-point", "tls-unique"
    std::string data;
    bool advertise = true;  // listed in XEP-0440 <sasl-channel-binding/>
};

struct tls_info {
    bool secure = false;
    // Channel-binding data the TLS layer can offer, in preference order. Empty
    // = no -PLUS mechanisms.
    std::vector<channel_binding> bindings;
};

struct step_result {
    enum class status { challenge, success, failure } state;
    std::string data;  // challenge bytes, or additional data with success (raw, not base64)
    sasl::failure error = failure::not_authorized;
    std::string text;      // optional human-readable failure text
    std::string username;  // authenticated localpart on success
    std::string detail;    // the library's own explanation of a failure, for logs only
};

// One SASL negotiation on one stream.
class exchange {
  public:
    // `realm` is the served domain; `allowed` the configured mechanisms (empty = all).
    exchange(std::string realm, tls_info tls, std::vector<std::string> allowed);
    ~exchange();
    exchange(const exchange&) = delete;

    // Mechanisms to advertise, in preference order (strongest first; -PLUS first
    // when channel binding is available; PLAIN only when tls.secure).
    std::vector<std::string> mechanisms() const;
    // XEP-0440 <sasl-channel-binding/> types to advertise.
    std::vector<std::string> channel_binding_types() const;

    // <auth mechanism=...>initial response</auth>. `initial` is decoded bytes;
    // `has_initial` distinguishes "" from "=" (RFC 6120 §6.4.2).
    step_result start(std::string_view mechanism, std::string_view initial, bool has_initial);
    // <response>data</response>
    step_result step(std::string_view response);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sasl
