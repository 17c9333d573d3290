// The in-process cyrus-sasl auxprop plugin that hands SCRAM secrets from our
// storage to cyrus's SCRAM mechanisms, and the checkpass callback for PLAIN.
#pragma once

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sasl/authenticator.hpp"

namespace sasl::detail {

inline constexpr const char* plugin_name = "parley";

// Set once by initialize() before any exchange exists; read-only afterwards.
void set_credential_source(credential_source source);
const credential_source& source();

int auxprop_init(const sasl_utils_t* utils, int max_version, int* out_version,
                 sasl_auxprop_plug_t** plug, const char* plugname);

int checkpass(sasl_conn_t* conn, void* context, const char* user, const char* pass,
              unsigned passlen, struct propctx* propctx);

// Splits "user@realm" as cyrus hands it to plugins; `fallback_realm` when none.
void split_user(std::string_view in, std::string_view fallback_realm, std::string& user,
                std::string& realm);

}  // namespace sasl::detail
