#include "sasl/authenticator.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "sasl/auxprop_plugin.hpp"

namespace sasl {
namespace {

// Strongest first (RFC 7677 §4 / XEP-0474 practice: prefer channel binding).
constexpr const char* preference[] = {
    "SCRAM-SHA-512-PLUS",
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-512",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
};

int getopt(void*, const char*, const char* option, const char** result, unsigned* len) {
    if (!option || !result) return SASL_BADPARAM;
    const char* value = nullptr;
    if (std::strcmp(option, "auxprop_plugin") == 0) value = detail::plugin_name;
    // Nothing but what we configure: no DIGEST-MD5, CRAM-MD5, LOGIN, NTLM, ANONYMOUS.
    else if (std::strcmp(option, "mech_list") == 0)
        value =
            "SCRAM-SHA-1 SCRAM-SHA-1-PLUS SCRAM-SHA-256 SCRAM-SHA-256-PLUS "
            "SCRAM-SHA-512 SCRAM-SHA-512-PLUS PLAIN";
    else if (std::strcmp(option, "log_level") == 0)
        value = "1";
    if (!value) return SASL_FAIL;
    *result = value;
    if (len) *len = unsigned(std::strlen(value));
    return SASL_OK;
}

int log_nowhere(void*, int, const char*) {
    return SASL_OK;
}

// The authorization identity, when the client sends one, must be the account
// itself (RFC 6120 §6.3.8): as a localpart or as the bare JID.
int proxy_policy(sasl_conn_t* conn, void*, const char* requested, unsigned rlen, const char* auth,
                 unsigned alen, const char* def_realm, unsigned, struct propctx*) {
    std::string authz(requested ? std::string_view(requested, rlen) : "");
    std::string authn(auth ? std::string_view(auth, alen) : "");
    // Cyrus does not always pass the default realm; the connection knows it.
    const void* conn_realm = nullptr;
    if (!def_realm || !*def_realm) sasl_getprop(conn, SASL_DEFUSERREALM, &conn_realm);
    std::string fallback = def_realm && *def_realm ? def_realm
                           : conn_realm            ? static_cast<const char*>(conn_realm)
                                                   : "";
    std::string user, realm;
    detail::split_user(authn, fallback, user, realm);
    if (authz.empty() || authz == authn || authz == user || authz == user + "@" + realm)
        return SASL_OK;
    sasl_seterror(conn, SASL_NOLOG, "authorization identity is not the account");
    return SASL_NOAUTHZ;
}

// Cyrus stores every callback as int (*)(void) and casts it back by id.
template <class F>
sasl_callback_ft callback(F* fn) {
    return reinterpret_cast<sasl_callback_ft>(reinterpret_cast<void*>(fn));
}

sasl_callback_t global_callbacks[] = {
    {SASL_CB_GETOPT, callback(&getopt), nullptr},
    {SASL_CB_LOG, callback(&log_nowhere), nullptr},
    {SASL_CB_SERVER_USERDB_CHECKPASS, callback(&detail::checkpass), nullptr},
    {SASL_CB_PROXY_POLICY, callback(&proxy_policy), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

bool is_scram(std::string_view mech) {
    return mech.starts_with("SCRAM-");
}

// RFC 4422 §3.1: 1-20 characters of A-Z, 0-9, '-' and '_'.
bool valid_mechanism_name(std::string_view m) {
    if (m.empty() || m.size() > 20) return false;
    return std::all_of(m.begin(), m.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

}  // namespace

std::optional<std::string> initialize(credential_source source) {
    static std::once_flag once;
    static int rc = SASL_OK;
    detail::set_credential_source(std::move(source));
    std::call_once(once, [] {
        rc = sasl_auxprop_add_plugin(detail::plugin_name, &detail::auxprop_init);
        if (rc == SASL_OK) rc = sasl_server_init(global_callbacks, "parley");
    });
    if (rc != SASL_OK)
        return std::string("cyrus-sasl initialisation failed: ") +
               sasl_errstring(rc, nullptr, nullptr);
    return std::nullopt;
}

struct exchange::impl {
    sasl_conn_t* conn = nullptr;
    std::string realm;
    tls_info tls;
    std::vector<std::string> allowed;
    std::vector<std::string> offered;
    sasl_channel_binding_t binding{};
    const channel_binding* active_binding = nullptr;
    bool started = false;
    bool scram = false;
    int steps = 0;

    ~impl() {
        if (conn) sasl_dispose(&conn);
    }

    void use_binding(const channel_binding& cb) {
        active_binding = &cb;
        binding.name = cb.type.c_str();
        binding.critical = 0;
        binding.len = unsigned(cb.data.size());
        binding.data = reinterpret_cast<const unsigned char*>(cb.data.data());
        sasl_setprop(conn, SASL_CHANNEL_BINDING, &binding);
    }

    step_result fail(failure f, std::string text = {}) {
        return {step_result::status::failure, {}, f, std::move(text), {}, {}};
    }

    step_result outcome(int rc, const char* out, unsigned outlen) {
        ++steps;
        if (rc == SASL_CONTINUE)
            return {step_result::status::challenge,
                    std::string(out ? out : "", outlen),
                    failure::not_authorized,
                    {},
                    {},
                    {}};
        if (rc == SASL_OK) return success(out, outlen);
        auto r = failed(rc);
        if (const char* d = sasl_errdetail(conn)) r.detail = d;
        return r;
    }

    step_result failed(int rc) {
        switch (rc) {
            case SASL_NOMECH:
                return fail(failure::invalid_mechanism);
            case SASL_ENCRYPT:
                return fail(failure::encryption_required);
            case SASL_TOOWEAK:
                return fail(failure::mechanism_too_weak);
            case SASL_NOAUTHZ:
                return fail(failure::invalid_authzid);
            case SASL_NOUSER:
            case SASL_BADAUTH:
            case SASL_NOVERIFY:
                return fail(failure::not_authorized);
            case SASL_BADPROT:
            case SASL_BADPARAM:
                // Cyrus's SCRAM reports a wrong proof (and a channel-binding
                // mismatch) as a protocol error on the final message: to the client
                // that is "not authorized", the same as a wrong password elsewhere.
                if (scram && steps > 1) return fail(failure::not_authorized);
                return fail(failure::malformed_request);
            default:
                return fail(failure::temporary_auth_failure, sasl_errstring(rc, nullptr, nullptr));
        }
    }

    step_result success(const char* out, unsigned outlen) {
        const void* authn = nullptr;
        if (sasl_getprop(conn, SASL_AUTHUSER, &authn) != SASL_OK || !authn)
            return fail(failure::temporary_auth_failure);
        std::string user, user_realm;
        detail::split_user(static_cast<const char*>(authn), realm, user, user_realm);
        if (user.empty() || user_realm != realm) return fail(failure::not_authorized);
        // RFC 6120 §6.3.8: an authorization identity other than the account itself
        // is refused, whatever the mechanism made of it.
        const void* authz = nullptr;
        if (sasl_getprop(conn, SASL_USERNAME, &authz) == SASL_OK && authz) {
            std::string authz_user, authz_realm;
            detail::split_user(static_cast<const char*>(authz), realm, authz_user, authz_realm);
            if (authz_user != user || authz_realm != realm) return fail(failure::invalid_authzid);
        }
        step_result r{step_result::status::success,
                      std::string(out ? out : "", outlen),
                      failure::not_authorized,
                      {},
                      user,
                      {}};
        return r;
    }
};

exchange::exchange(std::string realm, tls_info tls, std::vector<std::string> allowed)
    : impl_(std::make_unique<impl>()) {
    impl_->realm = std::move(realm);
    impl_->tls = std::move(tls);
    impl_->allowed = std::move(allowed);
    int rc = sasl_server_new("xmpp", impl_->realm.c_str(), impl_->realm.c_str(), nullptr, nullptr,
                             nullptr, SASL_SUCCESS_DATA, &impl_->conn);
    if (rc != SASL_OK) {
        impl_->conn = nullptr;
        return;
    }
    sasl_security_properties_t props{};
    props.min_ssf = 0;
    props.max_ssf = 0;  // no SASL security layers: TLS protects the stream
    props.maxbufsize = 0;
    // PLAIN sends the password itself: only inside TLS (RFC 6120 §13.8).
    props.security_flags = impl_->tls.secure ? 0 : SASL_SEC_NOPLAINTEXT;
    sasl_setprop(impl_->conn, SASL_SEC_PROPS, &props);
    if (impl_->tls.secure) {
        sasl_ssf_t ssf = 256;
        sasl_setprop(impl_->conn, SASL_SSF_EXTERNAL, &ssf);
    }
    // With a binding set, cyrus lists the -PLUS mechanisms and refuses a client's
    // "y" downgrade flag (RFC 5802 §6).
    if (!impl_->tls.bindings.empty()) impl_->use_binding(impl_->tls.bindings.front());

    const char* list = nullptr;
    if (sasl_listmech(impl_->conn, nullptr, "", " ", "", &list, nullptr, nullptr) == SASL_OK &&
        list) {
        std::string available = std::string(" ") + list + " ";
        for (const char* m : preference) {
            if (available.find(std::string(" ") + m + " ") == std::string::npos) continue;
            std::string_view name(m);
            if (name == "PLAIN" && !impl_->tls.secure) continue;
            if (name.ends_with("-PLUS") && impl_->tls.bindings.empty()) continue;
            if (!impl_->allowed.empty() && std::find(impl_->allowed.begin(), impl_->allowed.end(),
                                                     name) == impl_->allowed.end())
                continue;
            impl_->offered.emplace_back(name);
        }
    }
    // Without -PLUS on offer, a client's "y" flag is the truth, not a downgrade.
    bool plus_offered = std::any_of(impl_->offered.begin(), impl_->offered.end(),
                                    [](const std::string& m) { return m.ends_with("-PLUS"); });
    if (!plus_offered && impl_->active_binding) {
        impl_->active_binding = nullptr;
        sasl_setprop(impl_->conn, SASL_CHANNEL_BINDING, nullptr);
    }
}

exchange::~exchange() = default;

std::vector<std::string> exchange::mechanisms() const {
    return impl_->offered;
}

std::vector<std::string> exchange::channel_binding_types() const {
    std::vector<std::string> out;
    // XEP-0440 describes what the -PLUS mechanisms can bind to; with none of them
    // offered there is nothing to describe.
    const auto& offered = impl_->offered;
    if (std::none_of(offered.begin(), offered.end(),
                     [](const std::string& m) { return m.ends_with("-PLUS"); }))
        return out;
    for (const auto& b : impl_->tls.bindings)
        if (b.advertise) out.push_back(b.type);
    return out;
}

step_result exchange::start(std::string_view mechanism, std::string_view initial,
                            bool has_initial) {
    auto& s = *impl_;
    if (!s.conn) return s.fail(failure::temporary_auth_failure, "SASL unavailable");
    if (s.started) return s.fail(failure::malformed_request, "authentication already started");
    if (!valid_mechanism_name(mechanism) ||
        std::find(s.offered.begin(), s.offered.end(), mechanism) == s.offered.end()) {
        if (mechanism == "PLAIN" && !s.tls.secure) return s.fail(failure::encryption_required);
        return s.fail(failure::invalid_mechanism);
    }
    s.started = true;
    s.scram = is_scram(mechanism);
    if (s.scram && mechanism.ends_with("-PLUS") && has_initial) {
        // The GS2 header names the binding type the client chose ("p=tls-exporter,");
        // cyrus checks against the one binding set on the connection, so set that one.
        if (!initial.starts_with("p=")) return s.fail(failure::malformed_request);
        auto type = initial.substr(2, initial.find(',') - 2);
        auto it = std::find_if(s.tls.bindings.begin(), s.tls.bindings.end(),
                               [&](const channel_binding& b) { return b.type == type; });
        if (it == s.tls.bindings.end())
            return s.fail(failure::malformed_request, "unsupported channel-binding type");
        s.use_binding(*it);
    }
    std::string mech(mechanism);
    const char* out = nullptr;
    unsigned outlen = 0;
    int rc = sasl_server_start(s.conn, mech.c_str(), has_initial ? initial.data() : nullptr,
                               has_initial ? unsigned(initial.size()) : 0, &out, &outlen);
    return s.outcome(rc, out, outlen);
}

step_result exchange::step(std::string_view response) {
    auto& s = *impl_;
    if (!s.started || !s.conn)
        return s.fail(failure::malformed_request, "no authentication in progress");
    const char* out = nullptr;
    unsigned outlen = 0;
    int rc = sasl_server_step(s.conn, response.data(), unsigned(response.size()), &out, &outlen);
    return s.outcome(rc, out, outlen);
}

}  // namespace sasl
