#include "server/net/tls13_record_layer.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace server::tls13 {
namespace {

constexpr std::uint8_t content_alert = 21;
constexpr std::uint8_t content_handshake = 22;
constexpr std::uint8_t content_application_data = 23;
constexpr std::uint8_t content_change_cipher_spec = 20;
constexpr std::uint8_t handshake_new_session_ticket = 4;
constexpr std::uint8_t handshake_key_update = 24;
constexpr std::size_t tag_len = 16;
constexpr std::size_t max_plaintext = 1 << 14;

// RFC 8446 §5.5: AES-GCM keys must be changed well before 2^24.5 full-size
// records; ChaCha20-Poly1305's limit is far higher, one rule serves both.
constexpr std::uint64_t rekey_after = std::uint64_t(1) << 24;

struct suite_params {
    const EVP_MD* md;
    const EVP_CIPHER* cipher;
    std::size_t key_len;
};

// Fetched once: an implicit fetch (EVP_aes_128_gcm() passed to an init call)
// would look the algorithm up again for every record.
const suite_params& params(suite s) {
    static const suite_params aes128{EVP_sha256(),
                                     EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr), 16};
    static const suite_params aes256{EVP_sha384(),
                                     EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), 32};
    static const suite_params chacha{EVP_sha256(),
                                     EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr), 32};
    const suite_params& p = s == suite::aes_128_gcm_sha256   ? aes128
                            : s == suite::aes_256_gcm_sha384 ? aes256
                                                             : chacha;
    if (!p.cipher) throw std::runtime_error("TLS: the cipher of this suite is not available");
    return p;
}

// RFC 8446 §7.1 HKDF-Expand-Label with an empty context. Every output here is
// at most one hash long, so HKDF-Expand (RFC 5869 §2.3) is a single HMAC block.
void expand_label(const EVP_MD* md, const unsigned char* secret, std::size_t secret_len,
                  std::string_view label, std::size_t out_len, unsigned char* out) {
    unsigned char info[2 + 1 + 6 + 32 + 1 + 1];
    std::size_t n = 0;
    info[n++] = static_cast<unsigned char>(out_len >> 8);
    info[n++] = static_cast<unsigned char>(out_len);
    info[n++] = static_cast<unsigned char>(6 + label.size());
    std::memcpy(info + n, "tls13 ", 6);
    n += 6;
    std::memcpy(info + n, label.data(), label.size());
    n += label.size();
    info[n++] = 0;     // context: empty
    info[n++] = 0x01;  // HKDF-Expand's block counter T(1)
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    if (!HMAC(md, secret, static_cast<int>(secret_len), info, n, block, &block_len) ||
        block_len < out_len)
        throw std::runtime_error("TLS: key derivation failed");
    std::memcpy(out, block, out_len);
    OPENSSL_cleanse(block, sizeof block);
}

}  // namespace

bool supported(std::uint16_t protocol_id) {
    return protocol_id == 0x1301 || protocol_id == 0x1302 || protocol_id == 0x1303;
}

direction::~direction() {
    release();
    OPENSSL_cleanse(secret_.data(), secret_.size());
    OPENSSL_cleanse(key_.data(), key_.size());
    OPENSSL_cleanse(iv_.data(), iv_.size());
}

void direction::install(suite s, const unsigned char* secret, std::size_t secret_len,
                        std::uint64_t seq) {
    const auto& p = params(s);
    if (secret_len != static_cast<std::size_t>(EVP_MD_get_size(p.md)) ||
        secret_len > secret_.size())
        throw std::runtime_error("TLS: traffic secret of the wrong length");
    release();
    suite_ = s;
    std::memmove(secret_.data(), secret, secret_len);
    secret_len_ = static_cast<std::uint8_t>(secret_len);
    // RFC 8446 §7.3: the record key and IV of a traffic secret.
    expand_label(p.md, secret_.data(), secret_len, "key", p.key_len, key_.data());
    expand_label(p.md, secret_.data(), secret_len, "iv", iv_.size(), iv_.data());
    seq_ = seq;
}

void direction::update() {
    unsigned char next[48];
    expand_label(params(suite_).md, secret_.data(), secret_len_, "traffic upd", secret_len_, next);
    install(suite_, next, secret_len_, 0);
    OPENSSL_cleanse(next, sizeof next);
}

void direction::release() {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = nullptr;
}

EVP_CIPHER_CTX* direction::context(bool encrypt) {
    if (ctx_) return ctx_;
    ctx_ = EVP_CIPHER_CTX_new();
    if (!ctx_ || EVP_CipherInit_ex2(ctx_, params(suite_).cipher, key_.data(), nullptr,
                                    encrypt ? 1 : 0, nullptr) != 1) {
        release();
        throw std::runtime_error("TLS: cannot set up the record cipher");
    }
    return ctx_;
}

// RFC 8446 §5.3: the sequence number, left-padded to the IV's length, XORed
// into the IV.
void direction::nonce(unsigned char out[12]) const {
    std::memcpy(out, iv_.data(), 12);
    for (int i = 0; i < 8; ++i) out[11 - i] ^= static_cast<unsigned char>(seq_ >> (8 * i));
}

void direction::seal(std::uint8_t type, std::string_view data, std::string& out) {
    const std::size_t inner = data.size() + 1;
    const std::size_t body = inner + tag_len;
    const std::size_t at = out.size();
    out.resize(at + 5 + body);
    auto* rec = reinterpret_cast<unsigned char*>(out.data() + at);
    // RFC 8446 §5.2: the outer header claims application data in TLS 1.2 records.
    rec[0] = content_application_data;
    rec[1] = 0x03;
    rec[2] = 0x03;
    rec[3] = static_cast<unsigned char>(body >> 8);
    rec[4] = static_cast<unsigned char>(body);
    std::memcpy(rec + 5, data.data(), data.size());
    rec[5 + data.size()] = type;  // TLSInnerPlaintext.type, no padding
    unsigned char iv[12];
    nonce(iv);
    EVP_CIPHER_CTX* ctx = context(true);
    int n = 0, tail = 0;
    if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, 1, nullptr) != 1 ||
        EVP_CipherUpdate(ctx, nullptr, &n, rec, 5) != 1 ||
        EVP_CipherUpdate(ctx, rec + 5, &n, rec + 5, static_cast<int>(inner)) != 1 ||
        EVP_CipherFinal_ex(ctx, rec + 5 + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, rec + 5 + inner) != 1) {
        ERR_clear_error();
        throw std::runtime_error("TLS: cannot seal a record");
    }
    ++seq_;
}

bool direction::open(unsigned char* rec, std::size_t body_len, std::size_t* len) {
    if (body_len < tag_len + 1) return false;
    const std::size_t cipher_len = body_len - tag_len;
    unsigned char iv[12];
    nonce(iv);
    EVP_CIPHER_CTX* ctx = context(false);
    int n = 0, tail = 0;
    if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, 0, nullptr) != 1 ||
        EVP_CipherUpdate(ctx, nullptr, &n, rec, 5) != 1 ||
        EVP_CipherUpdate(ctx, rec + 5, &n, rec + 5, static_cast<int>(cipher_len)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, rec + 5 + cipher_len) != 1 ||
        EVP_CipherFinal_ex(ctx, rec + 5 + n, &tail) != 1) {
        // The error queue is per thread, shared by every connection on it.
        ERR_clear_error();
        return false;
    }
    *len = cipher_len;
    ++seq_;
    return true;
}

record_layer::record_layer(suite s, const unsigned char* client_secret,
                           const unsigned char* server_secret, std::size_t secret_len,
                           std::uint64_t server_seq, role r)
    : role_(r) {
    auto& client = r == role::server ? recv_ : send_;
    auto& server = r == role::server ? send_ : recv_;
    client.install(s, client_secret, secret_len, 0);
    server.install(s, server_secret, secret_len, server_seq);
}

void record_layer::seal(std::string_view data, std::string& out) {
    if (data.empty()) return;
    if (key_update_owed_ || send_.sequence() >= rekey_after) {
        // RFC 8446 §4.6.3: our KeyUpdate goes out under the old key, everything
        // after it under the new one. update_not_requested: we only answer, or
        // renew our own key; the peer's is its business.
        static constexpr char key_update[] = {handshake_key_update, 0, 0, 1, 0};
        send_.seal(content_handshake, std::string_view(key_update, sizeof key_update), out);
        send_.update();
        key_update_owed_ = false;
    }
    while (!data.empty()) {
        std::size_t n = std::min(data.size(), max_plaintext);
        send_.seal(content_application_data, data.substr(0, n), out);
        data.remove_prefix(n);
    }
}

void record_layer::seal_alert(alert a, std::string& out) {
    // RFC 8446 §6: closure alerts are warnings, every error alert is fatal.
    bool warning = a == alert::close_notify || a == alert::user_canceled;
    const char body[2] = {static_cast<char>(warning ? 1 : 2), static_cast<char>(a)};
    send_.seal(content_alert, std::string_view(body, 2), out);
}

void record_layer::release() {
    recv_.release();
    send_.release();
}

namespace {

record_layer::opened& fail(record_layer::opened& r, alert a, std::string why) {
    r.failed = true;
    r.failure = a;
    r.error = std::move(why);
    return r;
}

}  // namespace

std::size_t record_layer::longest_handshake_message(std::uint8_t type) const {
    // A ticket is at most a few hundred bytes from any server we meet; the
    // bound is one record's worth, so that a peer cannot make us buffer more.
    if (role_ == role::client && type == handshake_new_session_ticket) return max_plaintext;
    return 1;  // KeyUpdate
}

void record_layer::handshake_message(std::string_view msg, opened& r) {
    auto type = static_cast<std::uint8_t>(msg[0]);
    if (role_ == role::client && type == handshake_new_session_ticket) {
        // A connection taken over is never resumed: its tickets are dropped.
        // Header only: longer than a record, or empty; malformed either way.
        if (msg.size() == 4) fail(r, alert::decode_error, "malformed NewSessionTicket");
        return;
    }
    if (type != handshake_key_update) {
        // A client sends nothing else once the handshake is over: no tickets
        // (those are the server's), and no post-handshake authentication,
        // which this server never asks for.
        fail(r, alert::unexpected_message,
             type == handshake_new_session_ticket
                 ? "the client sent a NewSessionTicket"
                 : "unexpected post-handshake message of type " + std::to_string(type));
        return;
    }
    if (msg.size() != 5) {
        fail(r, alert::decode_error, "malformed KeyUpdate");
        return;
    }
    auto request = static_cast<std::uint8_t>(msg[4]);
    if (request > 1) {
        fail(r, alert::illegal_parameter,
             "KeyUpdate with request_update " + std::to_string(request));
        return;
    }
    recv_.update();
    if (request == 1) key_update_owed_ = true;
}

record_layer::opened record_layer::open(char* data, std::size_t len) {
    opened r;
    auto* bytes = reinterpret_cast<unsigned char*>(data);
    std::size_t in = 0, out = 0;
    while (len - in >= 5) {
        unsigned char* rec = bytes + in;
        std::size_t body = std::size_t(rec[3]) << 8 | rec[4];
        if (rec[0] != content_application_data) {
            // RFC 8446 §5: after the handshake every record is protected; a
            // plain ChangeCipherSpec is only tolerated until the peer's Finished.
            return fail(r, alert::unexpected_message,
                        rec[0] == content_change_cipher_spec
                            ? "ChangeCipherSpec after the handshake"
                            : "unprotected record of type " + std::to_string(rec[0]));
        }
        if (body > max_plaintext + 256) return fail(r, alert::record_overflow, "record too long");
        if (len - in < 5 + body) break;  // the rest of it has not arrived
        std::size_t plain = 0;
        if (!recv_.open(rec, body, &plain))
            return fail(r, alert::bad_record_mac, "a record did not authenticate");
        in += 5 + body;
        // TLSInnerPlaintext: content, the real type, then zero padding.
        unsigned char* content = rec + 5;
        while (plain > 0 && content[plain - 1] == 0) --plain;
        if (plain == 0) return fail(r, alert::unexpected_message, "a record without content type");
        std::uint8_t type = content[--plain];
        if (plain > max_plaintext) return fail(r, alert::record_overflow, "plaintext too long");
        if (type != content_handshake && !handshake_.empty())
            return fail(r, alert::unexpected_message, "a handshake message was cut off");
        if (type == content_application_data) {
            // Moves towards the buffer's start, never past the record being read.
            std::memmove(bytes + out, content, plain);
            out += plain;
        } else if (type == content_alert) {
            if (plain != 2) return fail(r, alert::decode_error, "malformed alert");
            auto description = static_cast<alert>(content[1]);
            if (description == alert::close_notify) {
                r.closed = true;
                break;
            }
            if (description == alert::user_canceled) continue;  // a close_notify follows
            fail(r, alert::close_notify, "the peer sent alert " + std::to_string(content[1]));
            r.peer_alert = true;
            return r;
        } else if (type == content_handshake) {
            // §5.1: no empty fragments; messages may be split or coalesced.
            if (plain == 0) return fail(r, alert::unexpected_message, "empty handshake record");
            handshake_.append(reinterpret_cast<char*>(content), plain);
            while (handshake_.size() >= 4) {
                auto* h = reinterpret_cast<const unsigned char*>(handshake_.data());
                std::size_t msg_len = std::size_t(h[1]) << 16 | std::size_t(h[2]) << 8 | h[3];
                if (msg_len > longest_handshake_message(h[0]) || msg_len == 0) {
                    // Longer than any message of its type we take: refused by
                    // its header alone (wrong type, or malformed), nothing buffered.
                    handshake_message(std::string_view(handshake_).substr(0, 4), r);
                    return r;
                }
                if (handshake_.size() < 4 + msg_len) break;
                bool key_update = h[0] == handshake_key_update;
                handshake_message(std::string_view(handshake_).substr(0, 4 + msg_len), r);
                if (r.failed) return r;
                handshake_.erase(0, 4 + msg_len);
                // §4.6.3: a KeyUpdate ends its record; what follows is under the new key.
                if (key_update && !handshake_.empty())
                    return fail(r, alert::unexpected_message, "data after a KeyUpdate");
            }
            if (handshake_.empty()) std::string().swap(handshake_);
        } else {
            return fail(r, alert::unexpected_message,
                        "record of unknown content type " + std::to_string(type));
        }
    }
    r.consumed = in;
    r.plaintext = out;
    return r;
}

}  // namespace server::tls13
