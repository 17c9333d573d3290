#include "server/net/tls_context.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "server/log.hpp"
#include "server/net/tls13_handoff.hpp"

namespace server {
namespace {

std::string openssl_error() {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return buf;
}

// XEP-0368: accept the "xmpp-client" protocol when the client offers ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    static const unsigned char proto[] = "\x0bxmpp-client";
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, proto, sizeof proto - 1, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

bool add_san(X509* cert, const std::vector<std::string>& hosts) {
    std::string san;
    for (const auto& h : hosts) san += (san.empty() ? "DNS:" : ",DNS:") + h;
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
    if (!ext) return false;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return true;
}

}  // namespace

std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const std::string& pem_path) {
    pkey_ptr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!key) return "cannot generate a key: " + openssl_error();
    x509_ptr cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(hosts.front().c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (!add_san(cert.get(), hosts)) return "cannot add subjectAltName: " + openssl_error();
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) return "cannot sign: " + openssl_error();

    // The key is secret: create the file 0600 before writing anything into it.
    auto old_mask = umask(077);
    FILE* f = std::fopen(pem_path.c_str(), "w");
    umask(old_mask);
    if (!f) return "cannot write " + pem_path;
    bool ok = PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) &&
              PEM_write_X509(f, cert.get());
    std::fclose(f);
    if (!ok) return "cannot write " + pem_path + ": " + openssl_error();
    return std::nullopt;
}

std::optional<std::string> make_tls_context(const config& cfg, asio::ssl::context& ctx) {
    namespace fs = std::filesystem;
    std::string cert = cfg.tls.certificate;
    std::string key = cfg.tls.key;
    if (cert.empty()) {
        cert = (fs::path(cfg.data_dir) / (cfg.hosts.front() + ".pem")).string();
        key = cert;
        if (!fs::exists(cert)) {
            log::warn("tls", "no certificate configured: generating a self-signed one in ", cert,
                      " (clients will not trust it; set tls.certificate for production)");
            if (auto err = generate_self_signed(cfg.hosts, cert)) return err;
        }
    }
    if (key.empty()) key = cert;

    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(
        native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle connections hold no record buffers (DESIGN: Protocol choices).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
    // TLS 1.3 connections leave OpenSSL after the handshake (tcp_transport).
    tls13::capture_secrets(native);
    if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1)
        return "cannot load certificate " + cert + ": " + openssl_error();
    if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1)
        return "cannot load key " + key + ": " + openssl_error();
    if (SSL_CTX_check_private_key(native) != 1)
        return "key " + key + " does not match certificate " + cert;
    return std::nullopt;
}

}  // namespace server
