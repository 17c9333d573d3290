// The channel-binding data SCRAM-*-PLUS checks (RFC 9266 tls-exporter, RFC 5929
// tls-server-end-point and tls-unique), taken from a real TLS handshake between
// an OpenSSL client and server over memory BIOs, and compared with what the
// client side computes on its own.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "server/net/tcp_transport.hpp"
#include "server/net/tls_context.hpp"
#include "tests/support/test_dir.hpp"

namespace server {
namespace {

struct tls_pair {
    SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL* server = nullptr;
    SSL* client = nullptr;

    tls_pair(const std::string& pem, int version) {
        EXPECT_EQ(SSL_CTX_use_certificate_chain_file(server_ctx, pem.c_str()), 1);
        EXPECT_EQ(SSL_CTX_use_PrivateKey_file(server_ctx, pem.c_str(), SSL_FILETYPE_PEM), 1);
        SSL_CTX_set_min_proto_version(server_ctx, version);
        SSL_CTX_set_max_proto_version(server_ctx, version);
        server = SSL_new(server_ctx);
        client = SSL_new(client_ctx);
        BIO *a = nullptr, *b = nullptr;
        BIO_new_bio_pair(&a, 0, &b, 0);
        SSL_set_bio(server, a, a);
        SSL_set_bio(client, b, b);
        SSL_set_accept_state(server);
        SSL_set_connect_state(client);
        for (int i = 0; i < 20 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client));
             ++i) {
            SSL_do_handshake(client);
            SSL_do_handshake(server);
        }
    }
    ~tls_pair() {
        SSL_free(server);
        SSL_free(client);
        SSL_CTX_free(server_ctx);
        SSL_CTX_free(client_ctx);
    }
};

std::map<std::string, std::string> by_type(const std::vector<sasl::channel_binding>& v,
                                           std::map<std::string, bool>* advertised = nullptr) {
    std::map<std::string, std::string> out;
    for (const auto& b : v) {
        out[b.type] = b.data;
        if (advertised) (*advertised)[b.type] = b.advertise;
    }
    return out;
}

std::string client_exporter(SSL* client) {
    static constexpr char label[] = "EXPORTER-Channel-Binding";
    unsigned char key[32];
    EXPECT_EQ(
        SSL_export_keying_material(client, key, sizeof key, label, sizeof label - 1, nullptr, 0, 0),
        1);
    return std::string(reinterpret_cast<char*>(key), sizeof key);
}

std::string peer_cert_sha256(SSL* client) {
    X509* cert = SSL_get1_peer_certificate(client);
    EXPECT_NE(cert, nullptr);
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), hash, &len);
    X509_free(cert);
    return std::string(reinterpret_cast<char*>(hash), len);
}

class channel_binding_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = test_support::fresh_test_dir("cb");
        pem_ = (dir_ / "cert.pem").string();
        // The server's own self-signed certificate: P-256, signed with SHA-256.
        ASSERT_FALSE(generate_self_signed({"localhost"}, pem_).has_value());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
    std::string pem_;
};

TEST_F(channel_binding_test, tls13_exporter_and_end_point_match_the_client) {
    tls_pair t(pem_, TLS1_3_VERSION);
    ASSERT_TRUE(SSL_is_init_finished(t.server));
    std::map<std::string, bool> advertised;
    auto b = by_type(tls_channel_bindings(t.server), &advertised);
    ASSERT_TRUE(b.count("tls-exporter"));
    EXPECT_EQ(b["tls-exporter"], client_exporter(t.client));
    ASSERT_TRUE(b.count("tls-server-end-point"));
    EXPECT_EQ(b["tls-server-end-point"], peer_cert_sha256(t.client));
    EXPECT_TRUE(advertised["tls-exporter"]);
    EXPECT_TRUE(advertised["tls-server-end-point"]);
    // RFC 9266 §3: tls-unique is undefined on TLS 1.3, so it is never advertised.
    EXPECT_FALSE(advertised["tls-unique"]);
}

TEST_F(channel_binding_test, tls12_unique_is_the_clients_finished_and_no_exporter) {
    tls_pair t(pem_, TLS1_2_VERSION);
    ASSERT_TRUE(SSL_is_init_finished(t.server));
    std::map<std::string, bool> advertised;
    auto b = by_type(tls_channel_bindings(t.server), &advertised);
    EXPECT_FALSE(b.count("tls-exporter"));  // RFC 9266: TLS 1.3 only
    unsigned char finished[EVP_MAX_MD_SIZE];
    auto len = SSL_get_finished(t.client, finished, sizeof finished);
    ASSERT_GT(len, 0u);
    EXPECT_EQ(b["tls-unique"], std::string(reinterpret_cast<char*>(finished), len));
    EXPECT_TRUE(advertised["tls-unique"]);
    EXPECT_EQ(b["tls-server-end-point"], peer_cert_sha256(t.client));
}

TEST_F(channel_binding_test, ed25519_certificate_has_no_end_point_binding) {
    // RFC 5929 §4.1: undefined for a signature algorithm without a single hash.
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    ASSERT_NE(key, nullptr);
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    ASSERT_GT(X509_sign(cert, key, nullptr), 0);
    auto pem = (dir_ / "ed25519.pem").string();
    FILE* f = std::fopen(pem.c_str(), "w");
    ASSERT_NE(f, nullptr);
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_X509(f, cert);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);

    tls_pair t(pem, TLS1_3_VERSION);
    ASSERT_TRUE(SSL_is_init_finished(t.server));
    auto b = by_type(tls_channel_bindings(t.server));
    EXPECT_FALSE(b.count("tls-server-end-point"));
    EXPECT_EQ(b["tls-exporter"], client_exporter(t.client));
}

}  // namespace
}  // namespace server
