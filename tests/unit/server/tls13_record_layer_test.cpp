// The TLS 1.3 record layer that takes a connection over from OpenSSL after the
// handshake: checked against a real OpenSSL client (every suite, with and without
// session tickets, KeyUpdate both ways, records split anywhere,
// close_notify both ways), and, for what an OpenSSL client never sends, against
// records sealed by hand with the same keys.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "server/net/tls13_handoff.hpp"
#include "server/net/tls13_record_layer.hpp"
#include "server/net/tls_context.hpp"
#include "tests/support/test_dir.hpp"

namespace server::tls13 {
namespace {

std::string drain(BIO* b) {
    std::string out;
    char chunk[4096];
    int n;
    while ((n = BIO_read(b, chunk, sizeof chunk)) > 0) out.append(chunk, n);
    return out;
}

void feed(BIO* b, const std::string& bytes) {
    if (bytes.empty()) return;
    ASSERT_EQ(BIO_write(b, bytes.data(), int(bytes.size())), int(bytes.size()));
}

// A server SSL and a client SSL over memory BIOs, with the bytes moved by hand
// so that the test decides what the server's OpenSSL gets to read.
struct connection {
    SSL* server = nullptr;
    SSL* client = nullptr;
    BIO* server_in = BIO_new(BIO_s_mem());
    BIO* server_out = BIO_new(BIO_s_mem());
    BIO* client_in = BIO_new(BIO_s_mem());
    BIO* client_out = BIO_new(BIO_s_mem());
    std::unique_ptr<record_layer> layer;
    std::string to_server;  // client bytes for the record layer once it took over

    connection(SSL_CTX* server_ctx, SSL_CTX* client_ctx, SSL_SESSION* resume = nullptr) {
        server = SSL_new(server_ctx);
        client = SSL_new(client_ctx);
        SSL_set_bio(server, server_in, server_out);
        SSL_set_bio(client, client_in, client_out);
        if (resume) SSL_set_session(client, resume);
        SSL_set_accept_state(server);
        SSL_set_connect_state(client);
        watch(server);
    }
    ~connection() {
        if (server) SSL_free(server);
        SSL_free(client);
    }

    // Runs the handshake; the client writes `first` as soon as its side is done.
    // In TLS 1.3 that is before the server has read the client's Finished, so
    // that `first` lies in the server's input right behind the Finished.
    void handshake(const std::string& first) {
        bool sent_first = false;
        for (int i = 0; i < 20 && !(SSL_is_init_finished(server) && sent_first); ++i) {
            SSL_do_handshake(client);
            if (SSL_is_init_finished(client) && !sent_first) {
                ASSERT_EQ(SSL_write(client, first.data(), int(first.size())), int(first.size()));
                sent_first = true;
            }
            feed(server_in, drain(client_out));
            SSL_do_handshake(server);
            feed(client_in, drain(server_out));
        }
        ASSERT_TRUE(SSL_is_init_finished(server));
        ASSERT_TRUE(sent_first);
    }

    // Hands the server side to the record layer, with what OpenSSL left unread.
    bool take() {
        layer = take_over(server);
        if (!layer) return false;
        to_server = drain(server_in);
        SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(server);
        server = nullptr;
        return true;
    }

    void client_send(const std::string& s) {
        ASSERT_EQ(SSL_write(client, s.data(), int(s.size())), int(s.size()));
        to_server += drain(client_out);
    }

    // Everything the record layer can open now, fed in pieces of `step` bytes.
    record_layer::opened server_read(std::string& plain, std::size_t step = 1 << 20) {
        record_layer::opened last;
        std::string buf;
        std::size_t at = 0;
        while (at < to_server.size()) {
            std::size_t n = std::min(step, to_server.size() - at);
            buf.append(to_server, at, n);
            at += n;
            last = layer->open(buf.data(), buf.size());
            if (last.failed || last.closed) break;
            plain.append(buf.data(), last.plaintext);
            buf.erase(0, last.consumed);
        }
        EXPECT_TRUE(buf.empty() || last.failed || last.closed) << "a partial record was left";
        to_server.clear();
        return last;
    }

    std::string client_read() {
        std::string out;
        char chunk[16384];
        int n;
        while ((n = SSL_read(client, chunk, sizeof chunk)) > 0) out.append(chunk, n);
        return out;
    }

    void server_send(const std::string& s) {
        std::string wire;
        layer->seal(s, wire);
        feed(client_in, wire);
    }
};

struct suite_case {
    const char* name;
    int tickets;
};

class tls13_with_openssl : public ::testing::TestWithParam<suite_case> {
  protected:
    void SetUp() override {
        dir_ = test_support::fresh_test_dir("tls13");
        auto pem = (dir_ / "cert.pem").string();
        ASSERT_FALSE(generate_self_signed({"localhost"}, pem).has_value());
        server_ctx_ = SSL_CTX_new(TLS_server_method());
        client_ctx_ = SSL_CTX_new(TLS_client_method());
        ASSERT_EQ(SSL_CTX_use_certificate_chain_file(server_ctx_, pem.c_str()), 1);
        ASSERT_EQ(SSL_CTX_use_PrivateKey_file(server_ctx_, pem.c_str(), SSL_FILETYPE_PEM), 1);
        SSL_CTX_set_ciphersuites(server_ctx_,
                                 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                                 "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256");
        SSL_CTX_set_num_tickets(server_ctx_, GetParam().tickets);
        SSL_CTX_set_ciphersuites(client_ctx_, GetParam().name);
        capture_secrets(server_ctx_);
    }
    void TearDown() override {
        SSL_CTX_free(server_ctx_);
        SSL_CTX_free(client_ctx_);
        std::filesystem::remove_all(dir_);
        ERR_clear_error();
    }

    std::filesystem::path dir_;
    SSL_CTX* server_ctx_ = nullptr;
    SSL_CTX* client_ctx_ = nullptr;
};

TEST_P(tls13_with_openssl, carries_the_connection_on_after_the_handshake) {
    connection c(server_ctx_, client_ctx_);
    c.handshake("first, right behind the Finished");
    ASSERT_TRUE(c.take());
    EXPECT_EQ(c.layer->send_sequence(), std::uint64_t(GetParam().tickets));

    std::string plain;
    auto r = c.server_read(plain);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(plain, "first, right behind the Finished");

    // The client reads the tickets OpenSSL sent, then our records.
    c.server_send("<stream:features/>");
    EXPECT_EQ(c.client_read(), "<stream:features/>");

    // More than one record's worth, both ways, and the client's split at every byte.
    std::string big(40000, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
    c.server_send(big);
    EXPECT_EQ(c.client_read(), big);
    c.client_send(big.substr(0, 20000));
    c.client_send("<presence/>");
    plain.clear();
    r = c.server_read(plain, 1);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(plain, big.substr(0, 20000) + "<presence/>");
}

TEST_P(tls13_with_openssl, answers_a_key_update_the_client_asks_for) {
    connection c(server_ctx_, client_ctx_);
    c.handshake("hello");
    ASSERT_TRUE(c.take());
    std::string plain;
    c.server_read(plain);
    c.server_send("one");
    EXPECT_EQ(c.client_read(), "one");

    ASSERT_EQ(SSL_key_update(c.client, SSL_KEY_UPDATE_REQUESTED), 1);
    c.client_send("under the new key");
    plain.clear();
    auto r = c.server_read(plain);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(plain, "under the new key");
    EXPECT_EQ(c.layer->receive_sequence(), 1u);

    // Our KeyUpdate (under the old key) goes first, then the data under the new one.
    c.server_send("two");
    EXPECT_EQ(c.layer->send_sequence(), 1u);
    EXPECT_EQ(c.client_read(), "two");
    c.server_send("three");
    EXPECT_EQ(c.client_read(), "three");

    // The client renews its key again without asking us to: we follow, and owe nothing.
    ASSERT_EQ(SSL_key_update(c.client, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
    c.client_send("four");
    plain.clear();
    r = c.server_read(plain);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(plain, "four");
    c.server_send("five");
    EXPECT_EQ(c.layer->send_sequence(), 3u);
    EXPECT_EQ(c.client_read(), "five");
}

TEST_P(tls13_with_openssl, close_notify_both_ways) {
    connection c(server_ctx_, client_ctx_);
    c.handshake("x");
    ASSERT_TRUE(c.take());
    std::string plain;
    c.server_read(plain);
    c.client_send("last words");
    SSL_shutdown(c.client);
    c.to_server += drain(c.client_out);
    c.to_server += "garbage after the close";  // never looked at
    plain.clear();
    auto r = c.server_read(plain);
    EXPECT_TRUE(r.closed);
    EXPECT_FALSE(r.failed);

    connection d(server_ctx_, client_ctx_);
    d.handshake("y");
    ASSERT_TRUE(d.take());
    std::string wire;
    d.layer->seal_alert(alert::close_notify, wire);
    feed(d.client_in, wire);
    char byte;
    EXPECT_EQ(SSL_read(d.client, &byte, 1), 0);
    EXPECT_EQ(SSL_get_error(d.client, 0), SSL_ERROR_ZERO_RETURN);
}

TEST_P(tls13_with_openssl, a_tampered_record_fails_with_bad_record_mac) {
    connection c(server_ctx_, client_ctx_);
    c.handshake("x");
    ASSERT_TRUE(c.take());
    std::string plain;
    c.server_read(plain);
    c.client_send("<message>hi</message>");
    c.to_server[8] ^= 1;
    auto r = c.server_read(plain);
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.failure, alert::bad_record_mac);

    // Our fatal alert reaches the client as one.
    std::string wire;
    c.layer->seal_alert(alert::bad_record_mac, wire);
    feed(c.client_in, wire);
    char byte;
    EXPECT_LE(SSL_read(c.client, &byte, 1), 0);
    EXPECT_EQ(SSL_get_error(c.client, 0), SSL_ERROR_SSL);
}

INSTANTIATE_TEST_SUITE_P(suites, tls13_with_openssl,
                         ::testing::Values(suite_case{"TLS_AES_128_GCM_SHA256", 2},
                                           suite_case{"TLS_AES_256_GCM_SHA384", 2},
                                           suite_case{"TLS_CHACHA20_POLY1305_SHA256", 2},
                                           suite_case{"TLS_AES_128_GCM_SHA256", 0},
                                           suite_case{"TLS_CHACHA20_POLY1305_SHA256", 5}),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             return n.substr(4, n.find('_', 8) - 4) + "_" +
                                    std::to_string(info.param.tickets) + "_tickets";
                         });

// The client role (the load generator's): a real OpenSSL server, its tickets
// read and dropped, data both ways, and a KeyUpdate the server asks for.
TEST_P(tls13_with_openssl, a_client_is_carried_on_with_the_servers_tickets_dropped) {
    capture_secrets(client_ctx_);
    connection c(server_ctx_, client_ctx_);
    watch(c.client);
    // The client is done once it has written its Finished; the server then
    // reads it and writes its tickets, which the client's OpenSSL leaves unread.
    for (int i = 0; i < 20 && !SSL_is_init_finished(c.client); ++i) {
        SSL_do_handshake(c.client);
        feed(c.server_in, drain(c.client_out));
        SSL_do_handshake(c.server);
        feed(c.client_in, drain(c.server_out));
    }
    ASSERT_TRUE(SSL_is_init_finished(c.client));
    auto client = take_over(c.client, role::client);
    ASSERT_TRUE(client);
    std::string from_server = drain(c.client_in);
    SSL_set_shutdown(c.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);

    std::string wire;
    client->seal("<stream:stream>", wire);
    feed(c.server_in, wire);
    char buf[64];
    int n = SSL_read(c.server, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, n), "<stream:stream>");

    ASSERT_EQ(SSL_write(c.server, "<features/>", 11), 11);
    from_server += drain(c.server_out);
    auto r = client->open(from_server.data(), from_server.size());
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(r.consumed, from_server.size());
    EXPECT_EQ(std::string(from_server.data(), r.plaintext), "<features/>");
    EXPECT_EQ(client->receive_sequence(), std::uint64_t(GetParam().tickets) + 1);

    ASSERT_EQ(SSL_key_update(c.server, SSL_KEY_UPDATE_REQUESTED), 1);
    ASSERT_EQ(SSL_write(c.server, "new key", 7), 7);
    from_server = drain(c.server_out);
    r = client->open(from_server.data(), from_server.size());
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(from_server.data(), r.plaintext), "new key");
    wire.clear();
    client->seal("answered", wire);  // our KeyUpdate first, then this under the new key
    feed(c.server_in, wire);
    n = SSL_read(c.server, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, n), "answered");
    EXPECT_EQ(client->send_sequence(), 1u);
}

class tls13_left_to_openssl : public tls13_with_openssl {};

TEST_P(tls13_left_to_openssl, is_not_taken_over) {
    connection c(server_ctx_, client_ctx_);
    c.handshake("x");
    EXPECT_FALSE(c.take());
    // OpenSSL carries on as if nothing had happened.
    char buf[8];
    EXPECT_EQ(SSL_read(c.server, buf, sizeof buf), 1);
}

INSTANTIATE_TEST_SUITE_P(ccm, tls13_left_to_openssl,
                         ::testing::Values(suite_case{"TLS_AES_128_CCM_SHA256", 2}));

TEST(tls13_tls12, a_tls12_connection_stays_with_openssl) {
    auto dir = test_support::fresh_test_dir("tls12");
    auto pem = (dir / "cert.pem").string();
    ASSERT_FALSE(generate_self_signed({"localhost"}, pem).has_value());
    SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_use_certificate_chain_file(server_ctx, pem.c_str());
    SSL_CTX_use_PrivateKey_file(server_ctx, pem.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_set_max_proto_version(client_ctx, TLS1_2_VERSION);
    capture_secrets(server_ctx);
    {
        connection c(server_ctx, client_ctx);
        c.handshake("x");
        EXPECT_FALSE(c.take());
    }
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    std::filesystem::remove_all(dir);
}

// Records sealed by hand with known secrets, for what a well-behaved client
// never sends. The layer's peer is a `direction` with the client's secret.
class tls13_crafted : public ::testing::Test {
  protected:
    static constexpr std::size_t len = 32;
    unsigned char client_secret[len];
    unsigned char server_secret[len];
    direction client;   // what the client seals with
    direction replies;  // what the client opens our records with
    std::unique_ptr<record_layer> layer;

    void SetUp() override {
        for (std::size_t i = 0; i < len; ++i) {
            client_secret[i] = static_cast<unsigned char>(i);
            server_secret[i] = static_cast<unsigned char>(0x80 + i);
        }
        layer = std::make_unique<record_layer>(suite::aes_128_gcm_sha256, client_secret,
                                               server_secret, len, 0);
        client.install(suite::aes_128_gcm_sha256, client_secret, len, 0);
        replies.install(suite::aes_128_gcm_sha256, server_secret, len, 0);
    }

    std::string sealed(std::uint8_t type, std::string_view body) {
        std::string out;
        client.seal(type, body, out);
        return out;
    }
    record_layer::opened open(std::string& wire) { return layer->open(wire.data(), wire.size()); }
};

TEST_F(tls13_crafted, a_server_takes_no_tickets_and_a_client_drops_them_whole) {
    // A ticket split over two records, then data: a client drops the ticket.
    std::string ticket("\x04\0\0\x0a", 4);
    ticket += std::string(10, 't');
    // As a client, the layer opens with the "server" secret: here the one the
    // fixture's `client` direction seals with.
    record_layer as_client(suite::aes_128_gcm_sha256, server_secret, client_secret, len, 0,
                           role::client);
    std::string wire = sealed(22, ticket.substr(0, 6));
    wire += sealed(22, ticket.substr(6));
    wire += sealed(23, "data");
    auto r = as_client.open(wire.data(), wire.size());
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(wire.data(), r.plaintext), "data");

    // A ticket longer than a record is refused by its header.
    client.install(suite::aes_128_gcm_sha256, client_secret, len, 0);
    std::string huge = sealed(22, std::string("\x04\x01\0\0", 4));
    record_layer again(suite::aes_128_gcm_sha256, server_secret, client_secret, len, 0,
                       role::client);
    r = again.open(huge.data(), huge.size());
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.failure, alert::decode_error);

    // The server refuses the same ticket from a client.
    client.install(suite::aes_128_gcm_sha256, client_secret, len, 0);
    std::string to_server = sealed(22, ticket);
    r = open(to_server);
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.failure, alert::unexpected_message);
}

TEST_F(tls13_crafted, padding_is_stripped_and_the_real_type_used) {
    // Sealed with "type" 0, so that the real type and the padding are in the body.
    std::string wire = sealed(0, std::string("a\0c\x17\0\0\0", 7));
    auto r = open(wire);
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(wire.data(), r.plaintext), std::string("a\0c", 3));

    std::string zeros = sealed(0, std::string(4, '\0'));  // nothing but padding
    r = open(zeros);
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.failure, alert::unexpected_message);
}

TEST_F(tls13_crafted, a_key_update_split_across_records_is_followed) {
    std::string wire = sealed(22, std::string("\x18\0", 2));
    wire += sealed(22, std::string("\0\x01\x01", 3));  // update_requested
    client.update();
    wire += sealed(23, "after");
    auto r = open(wire);
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(wire.data(), r.plaintext), "after");

    std::string out;
    layer->seal("reply", out);
    // Our KeyUpdate under the old key, then the reply under the new.
    unsigned char* rec = reinterpret_cast<unsigned char*>(out.data());
    std::size_t body = std::size_t(rec[3]) << 8 | rec[4], plain = 0;
    ASSERT_TRUE(replies.open(rec, body, &plain));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(rec + 5), plain),
              std::string("\x18\0\0\x01\0\x16", 6));
    replies.update();
    rec += 5 + body;
    body = std::size_t(rec[3]) << 8 | rec[4];
    ASSERT_TRUE(replies.open(rec, body, &plain));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(rec + 5), plain), "reply\x17");
}

TEST_F(tls13_crafted, what_a_client_may_not_send_is_refused) {
    struct bad {
        std::string wire;
        alert expected;
    };
    std::vector<bad> cases;
    cases.push_back({std::string("\x14\x03\x03\x00\x01\x01", 6), alert::unexpected_message});
    cases.push_back({std::string("\x15\x03\x03\x00\x02\x02\x28", 7), alert::unexpected_message});
    {
        std::string huge("\x17\x03\x03\x41\x01", 5);  // 2^14 + 257 bytes claimed
        cases.push_back({huge, alert::record_overflow});
    }
    for (auto& c : cases) {
        auto r = open(c.wire);
        EXPECT_TRUE(r.failed);
        EXPECT_EQ(r.failure, c.expected) << r.error;
    }

    // Each of these on a fresh layer, so that the sequence numbers line up.
    auto refused = [&](std::uint8_t type, std::string body, alert expected) {
        SetUp();
        std::string wire = sealed(type, body);
        auto r = open(wire);
        EXPECT_TRUE(r.failed) << "type " << int(type);
        EXPECT_EQ(r.failure, expected) << r.error;
        return r;
    };
    refused(22, std::string("\x04\0\0\x08ticket..", 12), alert::unexpected_message);
    refused(22, std::string("\x18\0\0\x01\x02", 5), alert::illegal_parameter);
    refused(22, std::string("\x18\0\0\x02\0\0", 6), alert::decode_error);
    refused(22, std::string("\x18\0\0\x01\0\x18\0\0\x01\0", 10), alert::unexpected_message);
    refused(22, "", alert::unexpected_message);
    refused(21, "\x02", alert::decode_error);
    auto r = refused(21, std::string("\x02\x28", 2), alert::close_notify);  // handshake_failure
    EXPECT_TRUE(r.peer_alert);

    // A handshake message cut off by application data.
    SetUp();
    std::string wire = sealed(22, std::string("\x18\0", 2));
    wire += sealed(23, "data");
    r = open(wire);
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.failure, alert::unexpected_message);
}

TEST_F(tls13_crafted, user_canceled_is_only_a_warning) {
    std::string wire = sealed(21, std::string("\x01\x5a", 2));
    wire += sealed(23, "still here");
    auto r = open(wire);
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(wire.data(), r.plaintext), "still here");
}

TEST_F(tls13_crafted, release_frees_the_ciphers_and_nothing_else) {
    std::string wire = sealed(23, "one");
    ASSERT_EQ(open(wire).plaintext, 3u);
    layer->release();
    wire = sealed(23, "two");
    auto r = open(wire);
    ASSERT_FALSE(r.failed) << r.error;
    EXPECT_EQ(std::string(wire.data(), r.plaintext), "two");
    std::string out;
    layer->seal("x", out);
    layer->release();
    layer->seal("y", out);
    unsigned char* rec = reinterpret_cast<unsigned char*>(out.data());
    std::size_t plain = 0;
    ASSERT_TRUE(replies.open(rec, 18, &plain));
    ASSERT_TRUE(replies.open(rec + 23, 18, &plain));
    EXPECT_EQ(rec[28], 'y');
}

}  // namespace
}  // namespace server::tls13
