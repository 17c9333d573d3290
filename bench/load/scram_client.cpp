// SHA1_Init/SHA1_Transform are deprecated in OpenSSL 3.0 but still there, and
// they are what makes hi_sha1 below fast; this must precede every OpenSSL header.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "bench/load/scram_client.hpp"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <random>

#include "xml/base64.hpp"

namespace bench {
namespace {

std::string hmac_sha1(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha1(), key.data(), int(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha1(std::string_view data) {
    unsigned char out[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), sizeof out);
}

// The state after hashing the 64-byte block key ^ pad (RFC 2104).
SHA_CTX keyed_state(const unsigned char (&key)[SHA_CBLOCK], unsigned char pad) {
    unsigned char block[SHA_CBLOCK];
    for (std::size_t i = 0; i < sizeof block; ++i) block[i] = key[i] ^ pad;
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, block, sizeof block);
    return c;
}

// One SHA-1 compression of `block` from `state`; writes the digest (big-endian
// words) to the first 20 bytes of `out`, which may be `block` itself.
void compress(SHA_CTX state, const unsigned char* block, unsigned char* out) {
    SHA1_Transform(&state, block);
    const SHA_LONG h[] = {state.h0, state.h1, state.h2, state.h3, state.h4};
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t b = 0; b < 4; ++b) out[4 * i + b] = (unsigned char)(h[i] >> (24 - 8 * b));
}

// Hi(password, salt, i) of RFC 5802 §2.2: PBKDF2-HMAC-SHA-1 (RFC 8018 §5.2) with
// one block of output. Same result as PKCS5_PBKDF2_HMAC, about four times
// faster: OpenSSL 3.0 runs each HMAC through the EVP layer (context copies,
// cleansing, provider look-ups), while an iteration needs only two compressions
// from the precomputed inner and outer states.
std::string hi_sha1(std::string_view password, std::string_view salt, std::uint32_t iterations) {
    unsigned char key[SHA_CBLOCK] = {};
    if (password.size() > sizeof key)
        SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), key);
    else
        std::memcpy(key, password.data(), password.size());
    const SHA_CTX inner = keyed_state(key, 0x36), outer = keyed_state(key, 0x5c);

    // U1 = HMAC(password, salt + INT(1)).
    unsigned char u[SHA_DIGEST_LENGTH];
    SHA_CTX c = inner;
    SHA1_Update(&c, salt.data(), salt.size());
    SHA1_Update(&c, "\0\0\0\1", 4);
    SHA1_Final(u, &c);
    c = outer;
    SHA1_Update(&c, u, sizeof u);
    SHA1_Final(u, &c);
    std::string result(reinterpret_cast<const char*>(u), sizeof u);

    // U2..Ui hash a digest after the key block: 84 bytes in all, so the digest,
    // SHA-1 padding and the bit length fill exactly one block.
    unsigned char block[SHA_CBLOCK] = {};
    std::memcpy(block, u, sizeof u);
    block[sizeof u] = 0x80;
    constexpr unsigned bits = (SHA_CBLOCK + SHA_DIGEST_LENGTH) * 8;
    block[SHA_CBLOCK - 2] = (unsigned char)(bits >> 8);
    block[SHA_CBLOCK - 1] = (unsigned char)bits;
    for (std::uint32_t i = 1; i < iterations; ++i) {
        compress(inner, block, block);
        compress(outer, block, block);
        for (std::size_t j = 0; j < sizeof u; ++j) result[j] ^= char(block[j]);
    }
    return result;
}

// "a=1,b=2" -> value of `key`, empty when absent.
std::string_view attribute(std::string_view msg, char key) {
    std::size_t pos = 0;
    while (pos < msg.size()) {
        auto end = msg.find(',', pos);
        if (end == std::string_view::npos) end = msg.size();
        auto part = msg.substr(pos, end - pos);
        if (part.size() >= 2 && part[0] == key && part[1] == '=') return part.substr(2);
        pos = end + 1;
    }
    return {};
}

std::string random_nonce() {
    // Not a security nonce: the generator only needs it unique per login.
    static std::mt19937_64 rng{std::random_device{}()};
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string s(24, ' ');
    for (auto& c : s) c = alphabet[rng() % (sizeof alphabet - 1)];
    return s;
}

}  // namespace

const scram_keys_cache::keys& scram_keys_cache::get(std::string_view password,
                                                    std::string_view salt,
                                                    std::uint32_t iterations) {
    std::string k =
        std::string(password) + '\0' + std::string(salt) + '\0' + std::to_string(iterations);
    auto it = cache_.find(k);
    if (it != cache_.end()) return it->second;
    const std::string sp = hi_sha1(password, salt, iterations);
    keys ks;
    ks.client_key = hmac_sha1(sp, "Client Key");
    ks.stored_key = sha1(ks.client_key);
    ks.server_key = hmac_sha1(sp, "Server Key");
    return cache_.emplace(std::move(k), std::move(ks)).first->second;
}

scram_sha1_client::scram_sha1_client(scram_keys_cache& cache, std::string user,
                                     std::string password)
    : cache_(cache), user_(std::move(user)), password_(std::move(password)) {}

std::string scram_sha1_client::client_first() {
    nonce_ = random_nonce();
    client_first_bare_ = "n=" + user_ + ",r=" + nonce_;
    return "n,," + client_first_bare_;
}

std::optional<std::string> scram_sha1_client::client_final(std::string_view server_first) {
    auto nonce = attribute(server_first, 'r');
    auto salt = xml::base64_decode(attribute(server_first, 's'));
    auto iter_text = attribute(server_first, 'i');
    if (nonce.substr(0, nonce_.size()) != nonce_ || !salt || iter_text.empty()) return {};
    auto iterations = std::uint32_t(std::stoul(std::string(iter_text)));
    if (iterations == 0) return {};  // RFC 5802 §2.2: Hi() needs i >= 1
    const auto& ks = cache_.get(password_, *salt, iterations);
    std::string without_proof = "c=biws,r=" + std::string(nonce);
    std::string auth_message =
        client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
    std::string signature = hmac_sha1(ks.stored_key, auth_message);
    std::string proof = ks.client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
    server_signature_ = hmac_sha1(ks.server_key, auth_message);
    return without_proof + ",p=" + xml::base64_encode(proof);
}

bool scram_sha1_client::verify_server_final(std::string_view server_final) const {
    auto v = xml::base64_decode(attribute(server_final, 'v'));
    return v && *v == server_signature_;
}

std::string plain_initial_response(std::string_view user, std::string_view password) {
    std::string s;
    s += '\0';
    s += user;
    s += '\0';
    s += password;
    return s;
}

}  // namespace bench
