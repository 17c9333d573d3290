// SCRAM secrets (RFC 5802 §3) and their RFC 5803 text form. The text form is what
// cyrus-sasl's SCRAM plugin reads through our auxprop plugin, so it must be exact.
//
// Passwords are hashed as the UTF-8 the client or operator typed, without
// SASLprep: cyrus's SCRAM does the same on the client side of the exchange, so the
// two agree.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "storage/accounts.hpp"
#include "xml/base64.hpp"

namespace storage {

namespace {

const EVP_MD* digest(scram_hash h) {
    switch (h) {
        case scram_hash::sha1:
            return EVP_sha1();
        case scram_hash::sha256:
            return EVP_sha256();
        case scram_hash::sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string hash(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string_view mechanism_name(scram_hash h) {
    switch (h) {
        case scram_hash::sha1:
            return "SCRAM-SHA-1";
        case scram_hash::sha256:
            return "SCRAM-SHA-256";
        case scram_hash::sha512:
            return "SCRAM-SHA-512";
    }
    return "";
}

scram_secret derive_secret(scram_hash h, std::string_view password, std::uint32_t iterations,
                           std::string salt) {
    if (salt.empty()) {
        salt.resize(16);
        RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), int(salt.size()));
    }
    const EVP_MD* md = digest(h);
    std::string salted(std::size_t(EVP_MD_get_size(md)), '\0');
    PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                      int(iterations), md, int(salted.size()),
                      reinterpret_cast<unsigned char*>(salted.data()));
    std::string client_key = hmac(md, salted, "Client Key");
    scram_secret s;
    s.hash = h;
    s.iterations = iterations;
    s.salt = std::move(salt);
    s.stored_key = hash(md, client_key);
    s.server_key = hmac(md, salted, "Server Key");
    OPENSSL_cleanse(salted.data(), salted.size());
    return s;
}

bool verify_password(const scram_secret& s, std::string_view password) {
    auto candidate = derive_secret(s.hash, password, s.iterations, s.salt);
    return candidate.stored_key.size() == s.stored_key.size() &&
           CRYPTO_memcmp(candidate.stored_key.data(), s.stored_key.data(), s.stored_key.size()) ==
               0;
}

std::string to_auth_password(const scram_secret& s) {
    return std::string(mechanism_name(s.hash)) + "$" + std::to_string(s.iterations) + ":" +
           xml::base64_encode(s.salt) + "$" + xml::base64_encode(s.stored_key) + ":" +
           xml::base64_encode(s.server_key);
}

std::optional<scram_secret> parse_auth_password(std::string_view s) {
    auto d1 = s.find('$');
    if (d1 == std::string_view::npos) return std::nullopt;
    auto d2 = s.find('$', d1 + 1);
    if (d2 == std::string_view::npos) return std::nullopt;
    auto mech = s.substr(0, d1);
    auto info = s.substr(d1 + 1, d2 - d1 - 1);
    auto value = s.substr(d2 + 1);
    scram_secret out;
    if (mech == "SCRAM-SHA-1")
        out.hash = scram_hash::sha1;
    else if (mech == "SCRAM-SHA-256")
        out.hash = scram_hash::sha256;
    else if (mech == "SCRAM-SHA-512")
        out.hash = scram_hash::sha512;
    else
        return std::nullopt;
    auto c1 = info.find(':');
    auto c2 = value.find(':');
    if (c1 == std::string_view::npos || c2 == std::string_view::npos) return std::nullopt;
    auto iter_text = info.substr(0, c1);
    if (iter_text.empty() || iter_text.size() > 9) return std::nullopt;
    std::uint32_t iter = 0;
    for (char c : iter_text) {
        if (c < '0' || c > '9') return std::nullopt;
        iter = iter * 10 + std::uint32_t(c - '0');
    }
    auto salt = xml::base64_decode(info.substr(c1 + 1));
    auto stored = xml::base64_decode(value.substr(0, c2));
    auto server = xml::base64_decode(value.substr(c2 + 1));
    auto size = std::size_t(EVP_MD_get_size(digest(out.hash)));
    if (!iter || !salt || salt->empty() || !stored || !server || stored->size() != size ||
        server->size() != size)
        return std::nullopt;
    out.iterations = iter;
    out.salt = std::move(*salt);
    out.stored_key = std::move(*stored);
    out.server_key = std::move(*server);
    return out;
}

}  // namespace storage
