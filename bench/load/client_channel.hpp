// The bytes of one client connection: plain TCP, then TLS once STARTTLS (or
// direct TLS) has negotiated it.
//
// The generator has to cost less CPU than the server it loads, so it moves
// bytes the way the server does: Asio's plain socket reads, non-blocking send()
// with Asio only waiting when the socket is full, and TLS 1.3 carried on after
// the handshake by the server's own record layer
// (server/net/tls13_record_layer.hpp) instead of OpenSSL's SSL_read/SSL_write.
// Connections that cannot be taken over (TLS 1.2, a CCM suite) stay with
// OpenSSL.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <openssl/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/net/tls13_record_layer.hpp"

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class client_channel : public std::enable_shared_from_this<client_channel> {
  public:
    explicit client_channel(asio::io_context& io);
    ~client_channel();
    client_channel(const client_channel&) = delete;
    client_channel& operator=(const client_channel&) = delete;

    tcp::socket& socket() { return sock_; }

    // TLS from here on (after <proceed/>, or at once for direct TLS). Nothing
    // may be queued for writing: the handshake comes first on the wire.
    asio::awaitable<void> handshake(SSL_CTX* ctx, const std::string& server_name);

    // The next bytes that arrived (decrypted), valid until the next read();
    // throws at the end of the stream and on any error.
    asio::awaitable<std::string_view> read();

    // Queued: the first write of a turn of the I/O thread goes out at once, and
    // whatever is queued behind it leaves together after that turn.
    void write(std::string_view bytes);

    void close();

  private:
    void flush();
    void send_wire();
    std::size_t ssl_read();  // TLS 1.2: 0 when nothing is there yet; throws at the end
    void after_read_records();

    tcp::socket sock_;
    SSL* ssl_ = nullptr;                                    // handshake, and TLS 1.2
    std::unique_ptr<server::tls13::record_layer> records_;  // TLS 1.3 after it
    std::vector<char> in_;
    std::size_t have_ = 0;  // bytes in in_
    std::size_t keep_ = 0;  // in_[keep_, have_): a partial record, kept for the next read
    std::string out_;       // plaintext queued
    std::string wire_;      // bytes for the socket that it has not taken yet
    bool busy_ = false;     // a write went out this turn, or the socket is full
};

}  // namespace bench
