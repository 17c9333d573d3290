// The client side of SASL SCRAM-SHA-1 (RFC 5802) and PLAIN (RFC 4616).
//
// A real client caches SaltedPassword per (salt, iterations), as Conversations
// does; so does this one, otherwise the generator would spend its CPU on PBKDF2
// and become the bottleneck of the login scenario. Only an account's first login
// in a run derives its keys, with a PBKDF2 that costs two SHA-1 compressions per
// iteration and nothing more.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

// ClientKey, StoredKey and ServerKey of SCRAM-SHA-1 by (password, salt,
// iterations). One per load, used from its single I/O thread only: no locking.
class scram_keys_cache {
  public:
    struct keys {
        std::string client_key, stored_key, server_key;
    };
    const keys& get(std::string_view password, std::string_view salt, std::uint32_t iterations);

  private:
    std::map<std::string, keys> cache_;
};

class scram_sha1_client {
  public:
    scram_sha1_client(scram_keys_cache& cache, std::string user, std::string password);
    std::string client_first();
    // nullopt when the server's message is malformed or its nonce is not ours.
    std::optional<std::string> client_final(std::string_view server_first);
    bool verify_server_final(std::string_view server_final) const;

  private:
    scram_keys_cache& cache_;
    std::string user_, password_, nonce_, client_first_bare_, server_signature_;
};

std::string plain_initial_response(std::string_view user, std::string_view password);

}  // namespace bench
