// The TLS 1.3 record layer (RFC 8446 §5) for a connection whose handshake
// OpenSSL has finished: protects and unprotects application data, answers and
// performs KeyUpdate (§4.6.3), and reads and writes alerts (§6).
//
// Why not leave the records to OpenSSL: an established connection's SSL object
// costs about 13 KiB for as long as the connection lives (the handshake state,
// the session, two record-layer contexts), more than the rest of an idle session
// together. Everything a connection needs once the handshake is over is two
// traffic secrets, two sequence numbers and an AEAD: about 200 bytes here, plus
// the cipher contexts, which release() frees while the connection is quiet.
//
// No I/O happens here: the transport hands in the bytes it received and sends the
// bytes this appends. See tls13_handoff.hpp for how the secrets and the sequence
// numbers are taken over from OpenSSL.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace server::tls13 {

// RFC 8446 §B.4, the cipher suites this layer implements (all that OpenSSL
// enables by default; CCM connections stay with OpenSSL).
enum class suite : std::uint16_t {
    aes_128_gcm_sha256 = 0x1301,
    aes_256_gcm_sha384 = 0x1302,
    chacha20_poly1305_sha256 = 0x1303,
};
bool supported(std::uint16_t protocol_id);

// RFC 8446 §6 alert descriptions this layer sends or recognises.
enum class alert : std::uint8_t {
    close_notify = 0,
    unexpected_message = 10,
    bad_record_mac = 20,
    record_overflow = 22,
    decode_error = 50,
    illegal_parameter = 47,
    user_canceled = 90,
};

// One direction's keys: the traffic secret (kept for KeyUpdate), the AEAD key
// and IV derived from it, and the sequence number of the next record.
class direction {
  public:
    direction() = default;
    ~direction();
    direction(const direction&) = delete;
    direction& operator=(const direction&) = delete;

    void install(suite s, const unsigned char* secret, std::size_t secret_len, std::uint64_t seq);
    // RFC 8446 §7.2: application_traffic_secret_N+1, sequence number 0.
    void update();
    // Frees the cipher context; the next record builds it again from the key.
    void release();

    // Seals one record of `type` carrying `data` (at most 2^14 bytes), appended to out.
    void seal(std::uint8_t type, std::string_view data, std::string& out);
    // Opens the record whose 5-byte header is at `rec` and whose body follows,
    // in place; false when it does not authenticate. The plaintext (content,
    // type, padding) is left at rec + 5, `len` bytes.
    bool open(unsigned char* rec, std::size_t body_len, std::size_t* len);

    std::uint64_t sequence() const { return seq_; }

  private:
    EVP_CIPHER_CTX* context(bool encrypt);
    void nonce(unsigned char out[12]) const;

    suite suite_ = suite::aes_128_gcm_sha256;
    std::array<unsigned char, 48> secret_{};
    std::array<unsigned char, 32> key_{};
    std::array<unsigned char, 12> iv_{};
    std::uint8_t secret_len_ = 0;
    std::uint64_t seq_ = 0;
    EVP_CIPHER_CTX* ctx_ = nullptr;
};

// Which end of the connection this layer is. The server is Parley; the client
// role is for the load generator, which speaks TLS as cheaply as the server.
enum class role : std::uint8_t { server, client };

class record_layer {
  public:
    // Largest protected record (RFC 8446 §5.2): 2^14 + 256 bytes of body.
    static constexpr std::size_t max_record = 5 + (1 << 14) + 256;

    // The client's direction starts at sequence number 0, the server's at
    // `server_seq` (the records it has already protected: its tickets).
    record_layer(suite s, const unsigned char* client_secret, const unsigned char* server_secret,
                 std::size_t secret_len, std::uint64_t server_seq, role r = role::server);

    // Seals `data` as application data records, appended to out. Sends the
    // KeyUpdate the peer asked for, or one of our own before a key has
    // protected too many records, ahead of the data.
    void seal(std::string_view data, std::string& out);
    void seal_alert(alert a, std::string& out);

    struct opened {
        std::size_t consumed = 0;   // bytes of whole records taken from the input
        std::size_t plaintext = 0;  // application data now at the input's start
        bool closed = false;        // the peer's close_notify came; nothing after it counts
        bool failed = false;        // a fatal condition: send `failure` and close
        alert failure = alert::close_notify;
        bool peer_alert = false;  // the failure is the peer's own alert: send nothing
        std::string error;        // what went wrong, for the log
    };
    // Opens the whole records at the start of [data, data + len) in place. Their
    // application data is moved together to the start of data; a partial
    // record at the end is left for the caller to keep and present again with
    // the rest of it.
    opened open(char* data, std::size_t len);

    // The connection is quiet: free what can be built again.
    void release();

    std::uint64_t send_sequence() const { return send_.sequence(); }
    std::uint64_t receive_sequence() const { return recv_.sequence(); }

  private:
    std::size_t longest_handshake_message(std::uint8_t type) const;
    void handshake_message(std::string_view msg, opened& r);

    role role_;
    direction recv_;
    direction send_;
    // A handshake message split across records (§5.1 allows it); post-handshake
    // the only one a client may send is the 5-byte KeyUpdate, and a server may
    // also send NewSessionTickets.
    std::string handshake_;
    bool key_update_owed_ = false;
};

}  // namespace server::tls13
