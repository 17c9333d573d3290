#include "sasl/authenticator.hpp"

namespace sasl {

std::string_view to_string(failure f) {
    switch (f) {
        case failure::aborted:
            return "aborted";
        case failure::account_disabled:
            return "account-disabled";
        case failure::credentials_expired:
            return "credentials-expired";
        case failure::encryption_required:
            return "encryption-required";
        case failure::incorrect_encoding:
            return "incorrect-encoding";
        case failure::invalid_authzid:
            return "invalid-authzid";
        case failure::invalid_mechanism:
            return "invalid-mechanism";
        case failure::malformed_request:
            return "malformed-request";
        case failure::mechanism_too_weak:
            return "mechanism-too-weak";
        case failure::not_authorized:
            return "not-authorized";
        case failure::temporary_auth_failure:
            return "temporary-auth-failure";
    }
    return "not-authorized";
}

}  // namespace sasl
