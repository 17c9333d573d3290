// Accounts and their credentials. Passwords are never stored: only SCRAM secrets
// (RFC 5802) in RFC 5803 authPassword form, one per hash algorithm.
//
// Every call here is synchronous and may touch the disk; the server calls it only
// from storage threads (see server/storage_executor), never from an I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.hpp"

namespace storage {

class database;

enum class scram_hash { sha1, sha256, sha512 };
std::string_view mechanism_name(scram_hash h);  // "SCRAM-SHA-1", ...

struct scram_secret {
    scram_hash hash;
    std::uint32_t iterations;
    std::string salt;        // raw bytes
    std::string stored_key;  // raw bytes
    std::string server_key;  // raw bytes
};

// RFC 5803: "SCRAM-SHA-1$<iter>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>"
std::string to_auth_password(const scram_secret& s);
std::optional<scram_secret> parse_auth_password(std::string_view s);
// Derive a secret from a password (PBKDF2 via OpenSSL). `salt` empty = random 16 bytes.
scram_secret derive_secret(scram_hash h, std::string_view password, std::uint32_t iterations,
                           std::string salt = {});
// Constant-time check of a plaintext password against a stored secret (for PLAIN).
bool verify_password(const scram_secret& s, std::string_view password);

class accounts {
  public:
    explicit accounts(database& db) : db_(db) {}

    // Usernames and hosts are expected already prepared (nodeprep / nameprep).
    // `iterations` = PBKDF2 rounds for new secrets (RFC 7677 recommends >= 4096).
    result<void> create(std::string_view user, std::string_view host, std::string_view password,
                        std::uint32_t iterations = 4096);
    result<void> remove(std::string_view user, std::string_view host);
    result<void> set_password(std::string_view user, std::string_view host,
                              std::string_view password, std::uint32_t iterations = 4096);
    result<bool> exists(std::string_view user, std::string_view host);
    result<std::vector<std::string>> list(std::string_view host);  // sorted usernames
    // nullopt inside the result when the user or that hash's secret is missing.
    result<std::optional<scram_secret>> secret(std::string_view user, std::string_view host,
                                               scram_hash hash);

  private:
    database& db_;
};

}  // namespace storage
