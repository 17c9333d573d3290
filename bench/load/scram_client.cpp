#include "bench/load/scram_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

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
    unsigned char salted[SHA_DIGEST_LENGTH];
    PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                      int(iterations), EVP_sha1(), sizeof salted, salted);
    std::string_view sp(reinterpret_cast<char*>(salted), sizeof salted);
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
