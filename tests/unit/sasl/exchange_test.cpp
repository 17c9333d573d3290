// SASL exchanges with cyrus's client side talking to sasl::exchange, credentials
// from RFC 5803 secrets as the server stores them.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sasl/sasl.h>

#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "sasl/authenticator.hpp"
#include "storage/accounts.hpp"

namespace sasl {
namespace {

const std::string realm = "example.com";

std::map<std::string, std::string>& passwords() {
    static std::map<std::string, std::string> p{{"alice", "wonderland"}, {"bob", "builder"}};
    return p;
}

void init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        credential_source src;
        src.lookup = [](std::string_view user, std::string_view r,
                        std::string_view mech) -> std::optional<std::string> {
            auto it = passwords().find(std::string(user));
            if (r != realm || it == passwords().end()) return std::nullopt;
            storage::scram_hash h = mech == "SCRAM-SHA-1"     ? storage::scram_hash::sha1
                                    : mech == "SCRAM-SHA-256" ? storage::scram_hash::sha256
                                                              : storage::scram_hash::sha512;
            return storage::to_auth_password(storage::derive_secret(h, it->second, 4096));
        };
        src.check = [](std::string_view user, std::string_view r, std::string_view pw) {
            auto it = passwords().find(std::string(user));
            return r == realm && it != passwords().end() && it->second == pw;
        };
        ASSERT_FALSE(initialize(src));
        ASSERT_EQ(sasl_client_init(nullptr), SASL_OK);
    });
}

// Everything a cyrus client needs, owned for the duration of one login.
struct client {
    std::string user, password, authzid;
    std::vector<char> secret_buf;
    sasl_conn_t* conn = nullptr;
    sasl_channel_binding_t cb{};
    std::string cb_name, cb_data;
    sasl_callback_t callbacks[4];

    static int simple(void* ctx, int id, const char** result, unsigned* len) {
        auto* self = static_cast<client*>(ctx);
        const std::string& v = id == SASL_CB_AUTHNAME ? self->user : self->authzid;
        *result = v.c_str();
        if (len) *len = unsigned(v.size());
        return SASL_OK;
    }
    static int pass(sasl_conn_t*, void* ctx, int, sasl_secret_t** out) {
        auto* self = static_cast<client*>(ctx);
        self->secret_buf.assign(sizeof(sasl_secret_t) + self->password.size() + 1, 0);
        auto* s = reinterpret_cast<sasl_secret_t*>(self->secret_buf.data());
        s->len = self->password.size();
        std::memcpy(s->data, self->password.data(), self->password.size());
        *out = s;
        return SASL_OK;
    }
    template <class F>
    static decltype(sasl_callback_t::proc) fn(F* f) {
        return reinterpret_cast<decltype(sasl_callback_t::proc)>(reinterpret_cast<void*>(f));
    }

    client(std::string u, std::string p, std::optional<channel_binding> binding = {},
           std::string authz = {})
        : user(std::move(u)), password(std::move(p)), authzid(std::move(authz)) {
        callbacks[0] = {SASL_CB_AUTHNAME, fn(&simple), this};
        callbacks[1] = {SASL_CB_USER, fn(&simple), this};
        callbacks[2] = {SASL_CB_PASS, fn(&pass), this};
        callbacks[3] = {SASL_CB_LIST_END, nullptr, nullptr};
        EXPECT_EQ(sasl_client_new("xmpp", realm.c_str(), nullptr, nullptr, callbacks, 0, &conn),
                  SASL_OK);
        if (binding) {
            cb_data = binding->data;
            cb_name = binding->type;
            cb.name = cb_name.c_str();
            cb.critical = 0;
            cb.len = unsigned(cb_data.size());
            cb.data = reinterpret_cast<const unsigned char*>(cb_data.data());
            sasl_setprop(conn, SASL_CHANNEL_BINDING, &cb);
        }
    }
    ~client() { sasl_dispose(&conn); }
};

struct outcome {
    step_result last;
    int server_steps = 0;
    bool client_verified_server = false;
    std::string first_server_status;
};

// Runs a whole login; `mech_list` is what the client believes the server offers.
outcome login(exchange& ex, client& c, const std::string& mech_list) {
    const char* out = nullptr;
    unsigned outlen = 0;
    const char* chosen = nullptr;
    int rc = sasl_client_start(c.conn, mech_list.c_str(), nullptr, &out, &outlen, &chosen);
    EXPECT_TRUE(rc == SASL_OK || rc == SASL_CONTINUE) << sasl_errdetail(c.conn);
    outcome o;
    // Cyrus's client names the mechanism without "-PLUS" even when it binds; an
    // XMPP client says SCRAM-*-PLUS in <auth/>, so do that.
    std::string first(out ? out : "", outlen);
    std::string mech = chosen ? chosen : "";
    if (first.starts_with("p=") && !mech.ends_with("-PLUS")) mech += "-PLUS";
    o.last = ex.start(mech, first, true);
    o.first_server_status = o.last.state == step_result::status::challenge ? "challenge" : "other";
    ++o.server_steps;
    while (o.last.state == step_result::status::challenge && o.server_steps < 10) {
        rc = sasl_client_step(c.conn, o.last.data.data(), unsigned(o.last.data.size()), nullptr,
                              &out, &outlen);
        if (rc != SASL_OK && rc != SASL_CONTINUE) return o;
        o.last = ex.step(std::string(out ? out : "", outlen));
        ++o.server_steps;
    }
    if (o.last.state == step_result::status::success && !o.last.data.empty()) {
        // The server's final message proves it knew the password too (SCRAM).
        rc = sasl_client_step(c.conn, o.last.data.data(), unsigned(o.last.data.size()), nullptr,
                              &out, &outlen);
        o.client_verified_server = rc == SASL_OK;
    }
    return o;
}

tls_info secure_with(std::vector<channel_binding> b) {
    return {true, std::move(b)};
}

const channel_binding exporter{"tls-exporter", std::string(32, '\x11'), true};
const channel_binding endpoint{"tls-server-end-point", std::string(32, '\x22'), true};

class sasl_test : public ::testing::Test {
  protected:
    void SetUp() override { init_once(); }
};

TEST_F(sasl_test, scram_without_channel_binding_succeeds_for_every_hash) {
    for (std::string mech : {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
        exchange ex(realm, secure_with({}), {});
        client c("alice", "wonderland");
        auto o = login(ex, c, mech);
        EXPECT_EQ(o.last.state, step_result::status::success) << mech << " " << o.last.detail;
        EXPECT_EQ(o.last.username, "alice");
        EXPECT_TRUE(o.client_verified_server) << mech;
    }
}

TEST_F(sasl_test, wrong_password_is_not_authorized) {
    for (std::string mech : {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
        exchange ex(realm, secure_with({}), {});
        client c("alice", "looking-glass");
        auto o = login(ex, c, mech);
        EXPECT_EQ(o.last.state, step_result::status::failure) << mech;
        EXPECT_EQ(o.last.error, failure::not_authorized) << mech;
    }
}

// RFC 5802 §9: an unknown user fails like a wrong password, at the same step.
TEST_F(sasl_test, unknown_user_is_indistinguishable_from_a_wrong_password) {
    exchange ex1(realm, secure_with({}), {});
    client wrong("alice", "nope");
    auto a = login(ex1, wrong, "SCRAM-SHA-256");
    exchange ex2(realm, secure_with({}), {});
    client unknown("mallory", "nope");
    auto b = login(ex2, unknown, "SCRAM-SHA-256");
    EXPECT_EQ(b.first_server_status, "challenge");
    EXPECT_EQ(a.server_steps, b.server_steps);
    EXPECT_EQ(a.last.error, failure::not_authorized);
    EXPECT_EQ(b.last.error, failure::not_authorized);
}

TEST_F(sasl_test, plain_only_inside_tls) {
    {
        exchange ex(realm, secure_with({}), {});
        client c("bob", "builder");
        auto o = login(ex, c, "PLAIN");
        EXPECT_EQ(o.last.state, step_result::status::success);
        EXPECT_EQ(o.last.username, "bob");
    }
    {
        exchange ex(realm, tls_info{false, {}}, {});
        auto mechs = ex.mechanisms();
        EXPECT_EQ(std::find(mechs.begin(), mechs.end(), "PLAIN"), mechs.end());
        auto r = ex.start("PLAIN", std::string("\0bob\0builder", 12), true);
        EXPECT_EQ(r.state, step_result::status::failure);
        EXPECT_EQ(r.error, failure::encryption_required);
    }
    {
        exchange ex(realm, secure_with({}), {});
        auto r = ex.start("PLAIN", std::string("\0bob\0wrong", 10), true);
        EXPECT_EQ(r.error, failure::not_authorized);
    }
}

TEST_F(sasl_test, plus_with_each_binding_type) {
    for (const auto& binding : {exporter, endpoint}) {
        exchange ex(realm, secure_with({exporter, endpoint}), {});
        client c("alice", "wonderland", binding);
        auto o = login(ex, c, "SCRAM-SHA-256-PLUS");
        EXPECT_EQ(o.last.state, step_result::status::success)
            << binding.type << " " << o.last.detail;
        EXPECT_TRUE(o.client_verified_server);
    }
}

TEST_F(sasl_test, plus_for_every_hash) {
    for (const char* mech : {"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS"}) {
        exchange ex(realm, secure_with({exporter, endpoint}), {});
        client c("alice", "wonderland", exporter);
        auto o = login(ex, c, mech);
        EXPECT_EQ(o.last.state, step_result::status::success) << mech << " " << o.last.detail;
        EXPECT_TRUE(o.client_verified_server) << mech;
    }
}

TEST_F(sasl_test, no_binding_types_are_listed_without_a_plus_mechanism) {
    exchange ex(realm, secure_with({exporter, endpoint}), {"SCRAM-SHA-256", "PLAIN"});
    EXPECT_TRUE(ex.channel_binding_types().empty());
}

TEST_F(sasl_test, plus_with_mismatched_binding_data_fails) {
    exchange ex(realm, secure_with({exporter}), {});
    client c("alice", "wonderland", channel_binding{"tls-exporter", std::string(32, '\x33'), true});
    auto o = login(ex, c, "SCRAM-SHA-256-PLUS");
    EXPECT_EQ(o.last.state, step_result::status::failure);
    EXPECT_EQ(o.last.error, failure::not_authorized);
}

TEST_F(sasl_test, plus_with_a_binding_type_we_do_not_have_fails) {
    exchange ex(realm, secure_with({exporter}), {});
    client c("alice", "wonderland", channel_binding{"tls-unique", std::string(12, '\x01'), true});
    auto o = login(ex, c, "SCRAM-SHA-256-PLUS");
    EXPECT_EQ(o.last.state, step_result::status::failure);
}

// RFC 5802 §6: "y" says "I could bind but you did not offer it": a downgrade
// when the server did offer -PLUS.
std::string b64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    out.resize(std::size_t(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                           reinterpret_cast<const unsigned char*>(in.data()),
                                           int(in.size()))));
    return out;
}

std::string unb64(std::string_view in) {
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
    out.resize(std::size_t(n) - (in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0));
    return out;
}

std::string hmac256(std::string_view key, std::string_view data) {
    unsigned char out[32];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

// A complete SCRAM-SHA-256 login with a GS2 header of our choosing (RFC 5802 §3),
// for what cyrus's client never sends.
step_result scram_sha256_with_gs2(exchange& ex, const std::string& gs2, const std::string& user,
                                  const std::string& password) {
    std::string client_first_bare = "n=" + user + ",r=clientnonce0123456789";
    auto r = ex.start("SCRAM-SHA-256", gs2 + client_first_bare, true);
    if (r.state != step_result::status::challenge) return r;
    std::string server_first = r.data;
    std::map<char, std::string> attrs;
    for (std::size_t pos = 0; pos < server_first.size();) {
        auto end = server_first.find(',', pos);
        if (end == std::string::npos) end = server_first.size();
        attrs[server_first[pos]] = server_first.substr(pos + 2, end - pos - 2);
        pos = end + 1;
    }
    std::string salt = unb64(attrs['s']);
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                      std::stoi(attrs['i']), EVP_sha256(), 32, salted);
    std::string client_key =
        hmac256(std::string(reinterpret_cast<char*>(salted), 32), "Client Key");
    unsigned char stored[32];
    unsigned len = 0;
    EVP_Digest(client_key.data(), client_key.size(), stored, &len, EVP_sha256(), nullptr);
    std::string without_proof = "c=" + b64(gs2) + ",r=" + attrs['r'];
    std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
    std::string signature = hmac256(std::string(reinterpret_cast<char*>(stored), 32), auth_message);
    std::string proof(32, '\0');
    for (int i = 0; i < 32; ++i) proof[i] = char(client_key[i] ^ signature[i]);
    return ex.step(without_proof + ",p=" + b64(proof));
}

TEST_F(sasl_test, hand_made_scram_client_logs_in) {
    exchange ex(realm, secure_with({}), {});
    auto r = scram_sha256_with_gs2(ex, "n,,", "alice", "wonderland");
    EXPECT_EQ(r.state, step_result::status::success) << r.detail;
}

TEST_F(sasl_test, downgrade_flag_is_refused_when_plus_is_offered) {
    exchange ex(realm, secure_with({exporter}), {});
    auto r = scram_sha256_with_gs2(ex, "y,,", "alice", "wonderland");
    EXPECT_EQ(r.state, step_result::status::failure);
    EXPECT_EQ(r.error, failure::not_authorized);
}

TEST_F(sasl_test, downgrade_flag_is_fine_when_plus_is_not_offered) {
    exchange ex(realm, secure_with({exporter}), {"SCRAM-SHA-256"});
    auto r = scram_sha256_with_gs2(ex, "y,,", "alice", "wonderland");
    EXPECT_EQ(r.state, step_result::status::success) << r.detail;
}

TEST_F(sasl_test, client_without_binding_support_is_fine_when_plus_is_offered) {
    exchange ex(realm, secure_with({exporter}), {});
    client c("alice", "wonderland");  // sends "n": it cannot bind at all
    auto o = login(ex, c, "SCRAM-SHA-256");
    EXPECT_EQ(o.last.state, step_result::status::success) << o.last.detail;
}

TEST_F(sasl_test, mechanisms_are_ordered_strongest_first) {
    exchange ex(realm, secure_with({exporter}), {});
    EXPECT_EQ(ex.mechanisms(), (std::vector<std::string>{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS",
                                                         "SCRAM-SHA-1-PLUS", "SCRAM-SHA-512",
                                                         "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
    exchange plain_tcp(realm, tls_info{false, {}}, {});
    EXPECT_EQ(plain_tcp.mechanisms(),
              (std::vector<std::string>{"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"}));
    exchange filtered(realm, secure_with({exporter}), {"PLAIN", "SCRAM-SHA-1"});
    EXPECT_EQ(filtered.mechanisms(), (std::vector<std::string>{"SCRAM-SHA-1", "PLAIN"}));
}

TEST_F(sasl_test, weak_mechanisms_are_never_offered) {
    exchange ex(realm, secure_with({}), {});
    for (const char* weak : {"DIGEST-MD5", "CRAM-MD5", "LOGIN", "NTLM", "ANONYMOUS"}) {
        auto m = ex.mechanisms();
        EXPECT_EQ(std::find(m.begin(), m.end(), weak), m.end()) << weak;
        EXPECT_EQ(exchange(realm, secure_with({}), {}).start(weak, "", false).error,
                  failure::invalid_mechanism)
            << weak;
    }
    EXPECT_EQ(ex.start("not a mechanism!", "", false).error, failure::invalid_mechanism);
}

TEST_F(sasl_test, only_advertised_binding_types_are_listed) {
    channel_binding unique{"tls-unique", std::string(12, '\x44'), false};
    exchange ex(realm, secure_with({exporter, unique, endpoint}), {});
    EXPECT_EQ(ex.channel_binding_types(),
              (std::vector<std::string>{"tls-exporter", "tls-server-end-point"}));
}

TEST_F(sasl_test, authzid_must_be_the_account) {
    {
        exchange ex(realm, secure_with({}), {});
        client c("alice", "wonderland", {}, "alice@example.com");
        auto o = login(ex, c, "SCRAM-SHA-256");
        EXPECT_EQ(o.last.state, step_result::status::success) << o.last.detail;
    }
    {
        exchange ex(realm, secure_with({}), {});
        client c("alice", "wonderland", {}, "bob@example.com");
        auto o = login(ex, c, "SCRAM-SHA-256");
        EXPECT_EQ(o.last.state, step_result::status::failure);
    }
}

TEST_F(sasl_test, malformed_initial_response_fails_cleanly) {
    exchange ex(realm, secure_with({}), {});
    auto r = ex.start("SCRAM-SHA-256", "this is not scram", true);
    EXPECT_EQ(r.state, step_result::status::failure);
    EXPECT_EQ(r.error, failure::malformed_request);
}

TEST_F(sasl_test, concurrent_logins_on_two_threads) {
    std::atomic<int> ok{0};
    auto work = [&] {
        for (int i = 0; i < 20; ++i) {
            exchange ex(realm, secure_with({exporter}), {});
            client c("bob", "builder", exporter);
            if (login(ex, c, "SCRAM-SHA-256-PLUS").last.state == step_result::status::success) ++ok;
        }
    };
    std::thread t1(work), t2(work);
    t1.join();
    t2.join();
    EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace sasl
