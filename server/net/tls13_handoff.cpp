#include "server/net/tls13_handoff.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace server::tls13 {
namespace {

// What a watched connection has shown of itself so far.
struct watch_state {
    unsigned char client_secret[48];
    unsigned char server_secret[48];
    std::size_t client_len = 0;
    std::size_t server_len = 0;
    bool peer_finished = false;
    // Protected records after the client's Finished, by direction.
    std::uint64_t written_after = 0;
    std::uint64_t read_after = 0;

    ~watch_state() {
        OPENSSL_cleanse(client_secret, sizeof client_secret);
        OPENSSL_cleanse(server_secret, sizeof server_secret);
    }
};

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<watch_state*>(ptr);
}

int state_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_state);
    return index;
}

watch_state* state_of(const SSL* ssl) {
    return static_cast<watch_state*>(SSL_get_ex_data(ssl, state_index()));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// NSS key-log format: "<label> <client random, hex> <secret, hex>".
void on_key_log(const SSL* ssl, const char* line) {
    watch_state* st = state_of(ssl);
    if (!st) return;  // a connection nobody hands over (HTTPS, say)
    std::string_view text(line);
    unsigned char* out;
    std::size_t* out_len;
    if (text.starts_with("CLIENT_TRAFFIC_SECRET_0 ")) {
        out = st->client_secret;
        out_len = &st->client_len;
    } else if (text.starts_with("SERVER_TRAFFIC_SECRET_0 ")) {
        out = st->server_secret;
        out_len = &st->server_len;
    } else {
        return;
    }
    auto hex = text.substr(text.rfind(' ') + 1);
    *out_len = 0;
    if (hex.size() % 2 != 0 || hex.size() / 2 > sizeof st->client_secret) return;
    for (std::size_t i = 0; i < hex.size() / 2; ++i) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return;
        out[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    *out_len = hex.size() / 2;
}

void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*,
                void* arg) {
    auto* st = static_cast<watch_state*>(arg);
    auto* bytes = static_cast<const unsigned char*>(buf);
    if (len == 0) return;
    if (content_type == SSL3_RT_HANDSHAKE && !write_p && bytes[0] == SSL3_MT_FINISHED)
        st->peer_finished = true;
    else if (content_type == SSL3_RT_HEADER && st->peer_finished &&
             bytes[0] == SSL3_RT_APPLICATION_DATA)
        ++(write_p ? st->written_after : st->read_after);
}

}  // namespace

void capture_secrets(SSL_CTX* ctx) {
    SSL_CTX_set_keylog_callback(ctx, on_key_log);
}

void watch(SSL* ssl) {
    auto* st = new watch_state;
    if (SSL_set_ex_data(ssl, state_index(), st) != 1) {
        delete st;
        return;  // take_over() finds no state and leaves the connection to OpenSSL
    }
    SSL_set_msg_callback(ssl, on_message);
    SSL_set_msg_callback_arg(ssl, st);
    SSL_set_read_ahead(ssl, 0);
}

std::unique_ptr<record_layer> take_over(SSL* ssl, role r) {
    watch_state* st = state_of(ssl);
    if (!st) return nullptr;
    // Nothing more to watch, whatever happens next.
    SSL_set_msg_callback(ssl, nullptr);
    if (SSL_version(ssl) != TLS1_3_VERSION) return nullptr;
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    if (!cipher) return nullptr;
    auto id = SSL_CIPHER_get_protocol_id(cipher);
    if (!supported(id)) return nullptr;
    // The sequence numbers are only known if OpenSSL stopped right after the
    // peer's Finished and holds nothing it has read beyond it.
    if (!st->peer_finished || st->read_after != 0 || SSL_has_pending(ssl)) return nullptr;
    if (st->client_len == 0 || st->client_len != st->server_len) return nullptr;
    std::unique_ptr<record_layer> layer;
    try {
        // The server's records so far: those it wrote after the client's
        // Finished, which a client has not read yet.
        auto server_seq = r == role::server ? st->written_after : 0;
        layer = std::make_unique<record_layer>(static_cast<suite>(id), st->client_secret,
                                               st->server_secret, st->client_len, server_seq, r);
    } catch (const std::exception&) {
        // A secret of the wrong length, a cipher this OpenSSL does not provide:
        // OpenSSL carries on, as for any connection not taken over.
    }
    OPENSSL_cleanse(st->client_secret, sizeof st->client_secret);
    OPENSSL_cleanse(st->server_secret, sizeof st->server_secret);
    return layer;
}

}  // namespace server::tls13
