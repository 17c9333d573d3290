#include "sasl/auxprop_plugin.hpp"

#include "xml/base64.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

namespace sasl::detail {
namespace {

credential_source g_source;
unsigned char g_decoy_key[32];

constexpr std::string_view scram_mechs[] = {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"};

std::string b64(const unsigned char* p, std::size_t n) {
    return xml::base64_encode(std::string_view(reinterpret_cast<const char*>(p), n));
}

// A secret for an account that does not exist. Cyrus answers an unknown user at
// the first SCRAM step but a wrong password only at the last; a stable decoy
// (same salt every time for the same name) makes both fail at the last step, so
// the exchange does not tell a guesser which accounts exist (RFC 5802 §9).
std::string decoy_secret(std::string_view mech, std::string_view user, std::string_view realm) {
    std::string label = std::string(mech) + "\n" + std::string(user) + "@" + std::string(realm);
    unsigned char salt[EVP_MAX_MD_SIZE];
    unsigned int salt_len = 0;
    HMAC(EVP_sha256(), g_decoy_key, sizeof g_decoy_key,
         reinterpret_cast<const unsigned char*>(label.data()), label.size(), salt, &salt_len);
    std::size_t key_len = mech == "SCRAM-SHA-1" ? 20 : mech == "SCRAM-SHA-256" ? 32 : 64;
    unsigned char keys[128];
    RAND_bytes(keys, int(2 * key_len));
    return std::string(mech) + "$4096:" + b64(salt, 16) + "$" + b64(keys, key_len) + ":" +
           b64(keys + key_len, key_len);
}

int lookup(void*, sasl_server_params_t* sparams, unsigned flags, const char* user_in,
           unsigned ulen) {
    if (!sparams || !user_in) return SASL_BADPARAM;
    // Credentials belong to the authentication identity only; an authorization
    // identity has no properties here (the proxy policy decides about it).
    if (flags & SASL_AUXPROP_AUTHZID) return SASL_OK;
    std::string user, realm;
    split_user(std::string_view(user_in, ulen),
               sparams->user_realm ? sparams->user_realm : sparams->serverFQDN, user, realm);
    const propval* wanted = sparams->utils->prop_get(sparams->propctx);
    if (!wanted) return SASL_NOUSER;
    for (const propval* p = wanted; p->name; ++p) {
        if (std::strcmp(p->name, "*authPassword") != 0) continue;
        if (p->values && !(flags & SASL_AUXPROP_OVERRIDE)) continue;
        if (p->values) sparams->utils->prop_erase(sparams->propctx, p->name);
        for (auto mech : scram_mechs) {
            std::optional<std::string> value;
            if (g_source.lookup) value = g_source.lookup(user, realm, mech);
            if (!value) value = decoy_secret(mech, user, realm);
            sparams->utils->prop_set(sparams->propctx, p->name, value->c_str(),
                                     unsigned(value->size()));
        }
    }
    return SASL_OK;
}

sasl_auxprop_plug_t plugin = {
    0,        // features
    0,        // spare
    nullptr,  // glob_context
    nullptr,  // auxprop_free
    lookup,  const_cast<char*>(plugin_name),
    nullptr,  // auxprop_store: accounts are written by parleyctl, not through cyrus
};

}  // namespace

void set_credential_source(credential_source source) {
    g_source = std::move(source);
    RAND_bytes(g_decoy_key, sizeof g_decoy_key);
}

const credential_source& source() {
    return g_source;
}

void split_user(std::string_view in, std::string_view fallback_realm, std::string& user,
                std::string& realm) {
    auto at = in.rfind('@');
    if (at == std::string_view::npos) {
        user = in;
        realm = fallback_realm;
    } else {
        user = in.substr(0, at);
        realm = in.substr(at + 1);
    }
}

int auxprop_init(const sasl_utils_t*, int max_version, int* out_version, sasl_auxprop_plug_t** plug,
                 const char*) {
    if (max_version < SASL_AUXPROP_PLUG_VERSION) return SASL_BADVERS;
    *out_version = SASL_AUXPROP_PLUG_VERSION;
    *plug = &plugin;
    return SASL_OK;
}

int checkpass(sasl_conn_t* conn, void*, const char* user_in, const char* pass, unsigned passlen,
              struct propctx*) {
    const void* realm_prop = nullptr;
    sasl_getprop(conn, SASL_DEFUSERREALM, &realm_prop);
    std::string user, realm;
    split_user(user_in ? user_in : "", realm_prop ? static_cast<const char*>(realm_prop) : "", user,
               realm);
    if (!g_source.check) return SASL_FAIL;
    return g_source.check(user, realm, std::string_view(pass, passlen)) ? SASL_OK : SASL_BADAUTH;
}

}  // namespace sasl::detail
