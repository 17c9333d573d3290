// SCRAM secrets against the RFCs' own exchanges: the client proof in RFC 5802
// §5 and RFC 7677 §3 must verify against our StoredKey, and our ServerKey must
// produce their server signature.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "storage/accounts.hpp"

namespace storage {
namespace {

std::string unbase64(std::string_view in) {
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
    std::size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
    out.resize(std::size_t(n) - pad);
    return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

struct rfc_exchange {
    scram_hash hash;
    const EVP_MD* md;
    std::string salt_b64;
    std::string auth_message;
    std::string client_proof_b64;
    std::string server_signature_b64;
};

void check_against_rfc(const rfc_exchange& x) {
    auto secret = derive_secret(x.hash, "pencil", 4096, unbase64(x.salt_b64));
    auto client_signature = hmac(x.md, secret.stored_key, x.auth_message);
    auto proof = unbase64(x.client_proof_b64);
    ASSERT_EQ(proof.size(), client_signature.size());
    std::string client_key(proof.size(), '\0');
    for (std::size_t i = 0; i < proof.size(); ++i)
        client_key[i] = char(proof[i] ^ client_signature[i]);
    EXPECT_EQ(digest(x.md, client_key), secret.stored_key);
    EXPECT_EQ(hmac(x.md, secret.server_key, x.auth_message), unbase64(x.server_signature_b64));
}

TEST(scram_test, rfc5802_sha1_example) {
    check_against_rfc({scram_hash::sha1, EVP_sha1(), "QSXCR+Q6sek8bf92",
                       "n=user,r=fyko+d2lbbFgONRv9qkxdawL,"
                       "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,"
                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
                       "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ="});
}

TEST(scram_test, rfc7677_sha256_example) {
    check_against_rfc({scram_hash::sha256, EVP_sha256(), "W22ZaJ0SNY7soEsUEjb6gQ==",
                       "n=user,r=rOprNGfwEbeRWgbNEkqO,"
                       "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                       "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                       "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
                       "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                       "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="});
}

TEST(scram_test, auth_password_is_rfc5803_text_and_roundtrips) {
    auto s =
        derive_secret(scram_hash::sha256, "pencil", 4096, unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="));
    auto text = to_auth_password(s);
    EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")) << text;
    auto back = parse_auth_password(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->hash, scram_hash::sha256);
    EXPECT_EQ(back->iterations, 4096u);
    EXPECT_EQ(back->salt, s.salt);
    EXPECT_EQ(back->stored_key, s.stored_key);
    EXPECT_EQ(back->server_key, s.server_key);
}

TEST(scram_test, parse_rejects_malformed_values) {
    auto good = to_auth_password(derive_secret(scram_hash::sha1, "x", 4096));
    EXPECT_TRUE(parse_auth_password(good));
    for (std::string bad : {std::string(""), std::string("SCRAM-SHA-1"), std::string("MD5$1:a$b:c"),
                            "SCRAM-SHA-1$x:" + good.substr(good.find(':') + 1),
                            "SCRAM-SHA-1$0:" + good.substr(good.find(':') + 1),
                            good.substr(0, good.size() - 4), "SCRAM-SHA-256" + good.substr(11)})
        EXPECT_FALSE(parse_auth_password(bad)) << bad;
}

TEST(scram_test, verify_password) {
    for (auto h : {scram_hash::sha1, scram_hash::sha256, scram_hash::sha512}) {
        auto s = derive_secret(h, "correct horse", 4096);
        EXPECT_EQ(s.salt.size(), 16u);
        EXPECT_TRUE(verify_password(s, "correct horse"));
        EXPECT_FALSE(verify_password(s, "correct horsE"));
        EXPECT_FALSE(verify_password(s, ""));
    }
}

TEST(scram_test, salts_are_random) {
    EXPECT_NE(derive_secret(scram_hash::sha256, "pw", 4096).salt,
              derive_secret(scram_hash::sha256, "pw", 4096).salt);
}

}  // namespace
}  // namespace storage
