// Plain TCP, STARTTLS and direct TLS: OpenSSL driven on the non-blocking socket,
// with Asio only telling us when the socket is readable or writable.
#include "server/net/tcp_transport.hpp"

#include "server/net/tls13_handoff.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace server {

using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

// One TLS record's plaintext at most (RFC 8446 §5.1, RFC 5246 §6.2.1), so a
// single SSL_read never leaves part of a record behind for lack of room.
constexpr std::size_t read_buffer_size = 16 * 1024;

// Input is read here, not into a buffer per connection: read() hands out a view
// that its caller consumes before it can suspend again (transport::read()), and
// every connection of a thread runs on that thread.
std::array<char, read_buffer_size>& thread_read_buffer() {
    thread_local std::array<char, read_buffer_size> buf;
    return buf;
}

// Ciphertext for the record layer: a partial record (up to one whole record)
// is copied in front of what recv() brings, and every whole record is opened in
// place, its plaintext handed out from the same buffer.
constexpr std::size_t record_buffer_size = 64 * 1024;
static_assert(record_buffer_size > 2 * tls13::record_layer::max_record);

std::array<char, record_buffer_size>& thread_record_buffer() {
    thread_local std::array<char, record_buffer_size> buf;
    return buf;
}

// Records sealed for one write, sent before the writer can suspend; only what
// the socket does not take at once is copied into the writing coroutine.
std::string& thread_seal_buffer() {
    thread_local std::string buf;
    return buf;
}
constexpr std::size_t seal_buffer_keep = 256 * 1024;

std::string openssl_error_text() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown error";
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

}  // namespace

// A minimal BIO over the Asio socket's descriptor. Not SSL_set_fd's socket BIO:
// that one writes with write(2), which raises SIGPIPE when the peer has reset
// the connection; and it would keep using the descriptor number after close()
// while the SSL object lives on (the number may belong to a new connection by
// then). This one sends with MSG_NOSIGNAL and asks the socket for its
// descriptor on every call (-1 once closed).
struct tcp_transport::socket_bio {
    static tcp_transport& owner(BIO* b) { return *static_cast<tcp_transport*>(BIO_get_data(b)); }

    static int read(BIO* b, char* data, std::size_t len, std::size_t* done) {
        BIO_clear_retry_flags(b);
        if (len == 0) return 0;
        auto& t = owner(b);
        ssize_t n;
        do n = ::recv(t.socket_.native_handle(), data, len, 0);
        while (n < 0 && errno == EINTR);
        if (n > 0) {
            *done = static_cast<std::size_t>(n);
            return 1;
        }
        if (n == 0)
            t.peer_eof_ = true;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(b);
        else
            t.socket_errno_ = errno;
        return 0;
    }

    static int write(BIO* b, const char* data, std::size_t len, std::size_t* done) {
        BIO_clear_retry_flags(b);
        auto& t = owner(b);
        ssize_t n;
        do n = ::send(t.socket_.native_handle(), data, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n >= 0) {
            *done = static_cast<std::size_t>(n);
            return 1;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(b);
        else
            t.socket_errno_ = errno;
        return 0;
    }

    static long ctrl(BIO* b, int cmd, long, void*) {
        switch (cmd) {
            case BIO_CTRL_FLUSH:
                return 1;  // nothing is buffered here
            case BIO_CTRL_EOF:
                // Lets OpenSSL tell a peer that vanished mid-record from an error.
                return owner(b).peer_eof_ ? 1 : 0;
            default:
                return 0;
        }
    }

    static BIO_METHOD* method() {
        static BIO_METHOD* const m = [] {
            BIO_METHOD* bm =
                BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "parley tcp socket");
            if (!bm) throw std::bad_alloc();
            BIO_meth_set_read_ex(bm, read);
            BIO_meth_set_write_ex(bm, write);
            BIO_meth_set_ctrl(bm, ctrl);
            return bm;
        }();
        return m;
    }
};

tcp_transport::tcp_transport(tcp::socket socket, asio::ssl::context* tls, mode m)
    : socket_(std::move(socket)), tls_(tls), mode_(m) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    address_ = ec ? "?" : ep.address().to_string();
    socket_.set_option(tcp::no_delay(true), ec);
    // Reads and TLS calls return would_block instead of waiting; readiness comes
    // from async_wait, so no buffer is lent to a pending operation.
    socket_.non_blocking(true, ec);
}

tcp_transport::~tcp_transport() {
    // Frees the BIO too; neither does any I/O.
    if (ssl_) SSL_free(ssl_);
}

void tcp_transport::check_open() const {
    // After close() the descriptor number may already belong to another
    // connection: nothing may touch it again.
    if (!socket_.is_open()) throw boost::system::system_error(asio::error::bad_descriptor);
}

tcp::socket::wait_type tcp_transport::wait_type_for(int ret, const char* what) {
    int err = SSL_get_error(ssl_, ret);
    if (err == SSL_ERROR_WANT_READ) return tcp::socket::wait_read;
    if (err == SSL_ERROR_WANT_WRITE) return tcp::socket::wait_write;
    if (err == SSL_ERROR_ZERO_RETURN) {
        // The peer's close_notify: a clean end of the byte stream.
        ERR_clear_error();
        throw boost::system::system_error(asio::error::eof);
    }
    // RFC 8446 §6.2: after a fatal error the connection is gone; OpenSSL
    // forbids SSL_shutdown() on it.
    tls_failed_ = true;
    if (err == SSL_ERROR_SYSCALL && socket_errno_ != 0) {
        int e = socket_errno_;
        ERR_clear_error();
        throw boost::system::system_error(e, boost::system::system_category(),
                                          std::string("TLS ") + what);
    }
    if (peer_eof_) {
        // The peer closed the TCP connection without close_notify.
        ERR_clear_error();
        throw boost::system::system_error(asio::error::eof, std::string("TLS ") + what);
    }
    std::string text = openssl_error_text();
    // The queue is per thread and shared by every connection on it: leave
    // nothing behind for the next one.
    ERR_clear_error();
    throw std::runtime_error("TLS " + std::string(what) + ": " + text);
}

asio::awaitable<void> tcp_transport::handshake() {
    tls_started_ = true;
    ssl_ = SSL_new(tls_->native_handle());
    if (!ssl_) throw std::runtime_error("TLS: cannot create a session: " + openssl_error_text());
    BIO* bio = BIO_new(socket_bio::method());
    if (!bio) throw std::runtime_error("TLS: cannot create a BIO: " + openssl_error_text());
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_
    // A write may end after any whole record, and its retry may come from
    // another address (output_units can move between tries); the data is the same.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_accept_state(ssl_);
    tls13::watch(ssl_);  // read-ahead off until the handshake is over
    for (;;) {
        check_open();
        ERR_clear_error();
        int r = SSL_do_handshake(ssl_);
        if (r == 1) break;
        co_await socket_.async_wait(wait_type_for(r, "handshake"), use_awaitable);
    }
    handshake_done_ = true;
    drained_ = false;  // the handshake read on since the last read()
    bindings_ = tls_channel_bindings(ssl_);
    records_ = tls13::take_over(ssl_);
    if (records_) {
        // Marked as shut down so that freeing it keeps the session resumable.
        SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl_);
        ssl_ = nullptr;
    } else {
        // Read as many records as arrived in one recv(): fewer system calls when
        // a client sends in bursts. With SSL_MODE_RELEASE_BUFFERS the buffer is
        // still freed once it holds nothing.
        SSL_set_read_ahead(ssl_, 1);
    }
}

asio::awaitable<void> tcp_transport::open() {
    if (mode_ == mode::direct) co_await handshake();
}

asio::awaitable<void> tcp_transport::start_tls() {
    co_await handshake();
}

// Not a coroutine itself: handing out the awaitable of the one doing the work
// saves a coroutine frame (a heap allocation) on every read and write.
asio::awaitable<std::string_view> tcp_transport::read() {
    if (records_) return read_records();
    return read_openssl();
}

asio::awaitable<std::string_view> tcp_transport::read_openssl() {
    for (;;) {
        check_open();
        auto& buf = thread_read_buffer();
        if (!ssl_) {
            if (drained_) {
                drained_ = false;
                co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
                continue;
            }
            boost::system::error_code ec;
            std::size_t n = socket_.read_some(asio::buffer(buf), ec);
            if (!ec) {
                drained_ = n < buf.size();
                co_return std::string_view(buf.data(), n);
            }
            if (ec != asio::error::would_block && ec != asio::error::try_again)
                throw boost::system::system_error(ec);
            co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
            continue;
        }
        // Tried before any wait: OpenSSL may hold decrypted or read-ahead records
        // from an earlier call that the socket will never signal again.
        std::size_t n = 0;
        ERR_clear_error();
        int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
        if (r == 1) co_return std::string_view(buf.data(), n);
        // WANT_WRITE too: OpenSSL may have to send from inside SSL_read (an
        // alert, say). A requested KeyUpdate (RFC 8446 §4.6.3) is not one of
        // those: OpenSSL answers it before our next application data, from
        // SSL_write, once no earlier write is pending.
        co_await socket_.async_wait(wait_type_for(r, "read"), use_awaitable);
    }
}

asio::awaitable<void> tcp_transport::write(const output_units& out) {
    check_open();
    if (records_) return write_records(out);
    return write_openssl(out);
}

asio::awaitable<void> tcp_transport::write_openssl(const output_units& out) {
    if (!ssl_) {
        // A byte stream: every unit queued in this turn leaves in one write.
        co_await asio::async_write(socket_, asio::buffer(out.bytes), use_awaitable);
        co_return;
    }
    // Nothing of the stream may go out in clear or inside a handshake that has
    // not finished (a stream error queued by a timeout during it, say).
    if (!handshake_done_) throw std::runtime_error("TLS: write before the handshake finished");
    std::string_view rest = out.bytes;
    while (!rest.empty()) {
        check_open();
        std::size_t n = 0;
        ERR_clear_error();
        int r = SSL_write_ex(ssl_, rest.data(), rest.size(), &n);
        if (r == 1) {
            rest.remove_prefix(n);
            continue;
        }
        // A retry passes the same bytes again, as OpenSSL requires.
        co_await socket_.async_wait(wait_type_for(r, "write"), use_awaitable);
    }
}

asio::awaitable<std::string_view> tcp_transport::read_records() {
    for (;;) {
        check_open();
        if (peer_closed_) throw boost::system::system_error(asio::error::eof);
        auto& buf = thread_record_buffer();
        // recv() first, behind room for the partial record: when nothing has
        // come, the partial record stays where it is.
        const std::size_t have = partial_record_.size();
        if (drained_) {
            drained_ = false;
            co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
            continue;
        }
        ssize_t n;
        do n = ::recv(socket_.native_handle(), buf.data() + have, buf.size() - have, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                throw boost::system::system_error(errno, boost::system::system_category(),
                                                  "TLS read");
            co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
            continue;
        }
        drained_ = static_cast<std::size_t>(n) < buf.size() - have;
        if (n == 0) {
            // The peer closed the TCP connection without close_notify.
            tls_failed_ = true;
            if (have)
                throw boost::system::system_error(asio::error::eof,
                                                  "TLS read: the connection ended inside a record");
            throw boost::system::system_error(asio::error::eof);
        }
        std::memcpy(buf.data(), partial_record_.data(), have);
        const std::size_t len = have + static_cast<std::size_t>(n);
        auto r = records_->open(buf.data(), len);
        if (r.failed) {
            if (!r.peer_alert) send_alert(r.failure);
            tls_failed_ = true;
            throw std::runtime_error("TLS read: " + r.error);
        }
        if (r.closed) {
            peer_closed_ = true;
            std::string().swap(partial_record_);
        } else if (r.consumed < len) {
            partial_record_.assign(buf.data() + r.consumed, len - r.consumed);
        } else if (have) {
            std::string().swap(partial_record_);
        }
        if (r.plaintext > 0) co_return std::string_view(buf.data(), r.plaintext);
        // Nothing for the stream yet (a KeyUpdate, part of a record): read on.
    }
}

std::size_t tcp_transport::send_now(std::string_view bytes) {
    ssize_t n;
    do n = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    tls_failed_ = true;
    throw boost::system::system_error(errno, boost::system::system_category(), "TLS write");
}

void tcp_transport::seal_and_send(const output_units& out) {
    auto& sealed = thread_seal_buffer();
    sealed.clear();
    records_->seal(out.bytes, sealed);
    std::size_t n = send_now(sealed);
    if (n < sealed.size()) {
        // Sealed means numbered: these records must go before anything sealed
        // later. Kept here, since another connection of this thread seals into
        // the same buffer while this one waits.
        unsent_.assign(sealed, n);
        half_written_ = true;
    }
    // A burst to a slow reader may have grown the thread's buffer far beyond
    // what ordinary writes need: not kept.
    if (sealed.capacity() > seal_buffer_keep) std::string().swap(sealed);
}

asio::awaitable<void> tcp_transport::send_unsent() {
    for (std::size_t done = 0;;) {
        check_open();
        done += send_now(std::string_view(unsent_).substr(done));
        if (done == unsent_.size()) break;
        co_await socket_.async_wait(tcp::socket::wait_write, use_awaitable);
    }
    std::string().swap(unsent_);
    half_written_ = false;
}

tcp_transport::try_result tcp_transport::try_write(const output_units& out) {
    if (!records_ || !unsent_.empty() || !socket_.is_open()) return try_result::not_taken;
    seal_and_send(out);
    return unsent_.empty() ? try_result::taken : try_result::taken_in_part;
}

asio::awaitable<void> tcp_transport::write_records(const output_units& out) {
    // What an earlier try_write() left goes first.
    if (!unsent_.empty()) co_await send_unsent();
    if (out.bytes.empty()) co_return;
    seal_and_send(out);
    if (!unsent_.empty()) co_await send_unsent();
}

void tcp_transport::send_alert(tls13::alert a) {
    if (!records_ || half_written_ || !socket_.is_open()) return;
    std::string wire;
    records_->seal_alert(a, wire);
    [[maybe_unused]] ssize_t n =
        ::send(socket_.native_handle(), wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void tcp_transport::release_idle() {
    if (records_) records_->release();
    // SASL is over for good: a stream authenticates once.
    std::vector<sasl::channel_binding>().swap(bindings_);
}

std::vector<sasl::channel_binding> tcp_transport::channel_bindings() const {
    if (!is_secure()) return {};
    return bindings_;
}

std::vector<sasl::channel_binding> tls_channel_bindings(SSL* ssl) {
    std::vector<sasl::channel_binding> out;
    // RFC 9266: tls-exporter, defined for TLS 1.3 only.
    if (SSL_version(ssl) == TLS1_3_VERSION) {
        static constexpr char label[] = "EXPORTER-Channel-Binding";
        unsigned char key[32];
        if (SSL_export_keying_material(ssl, key, sizeof key, label, sizeof label - 1, nullptr, 0,
                                       0) == 1)
            out.push_back(
                {"tls-exporter", std::string(reinterpret_cast<char*>(key), sizeof key), true});
    }
    // RFC 5929 §3: tls-unique, the first Finished message of the handshake (the
    // client's, unless the session was resumed). RFC 9266 leaves it undefined for
    // TLS 1.3, so there it is not advertised; COMPAT: slixmpp (<= 1.8) sends it on
    // TLS 1.3 without reading XEP-0440, computed the same way, so it is accepted.
    {
        unsigned char finished[EVP_MAX_MD_SIZE];
        std::size_t len = SSL_session_reused(ssl)
                              ? SSL_get_finished(ssl, finished, sizeof finished)
                              : SSL_get_peer_finished(ssl, finished, sizeof finished);
        if (len > 0 && len <= sizeof finished)
            out.push_back({"tls-unique", std::string(reinterpret_cast<char*>(finished), len),
                           SSL_version(ssl) != TLS1_3_VERSION});
    }
    // RFC 5929 §4.1: the hash of our certificate, with the hash function of its
    // signature algorithm (SHA-256 for MD5 and SHA-1). For an algorithm with no
    // single hash (Ed25519, Ed448) the binding is undefined: not offered at all.
    // X509_get_signature_info reads the hash of RSA-PSS from its parameters.
    if (X509* cert = SSL_get_certificate(ssl)) {
        int md_nid = NID_undef;
        if (X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) == 1 &&
            md_nid != NID_undef) {
            const EVP_MD* md = (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_md5_sha1)
                                   ? EVP_sha256()
                                   : EVP_get_digestbynid(md_nid);
            unsigned char hash[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            if (md && X509_digest(cert, md, hash, &len) == 1)
                out.push_back({"tls-server-end-point",
                               std::string(reinterpret_cast<char*>(hash), len), true});
        }
    }
    return out;
}

void tcp_transport::close() {
    if (!socket_.is_open()) return;
    if (records_ && !tls_failed_) send_alert(tls13::alert::close_notify);
    if (ssl_ && handshake_done_ && !tls_failed_) {
        // RFC 8446 §6.1: close_notify before closing. One non-blocking try: if the
        // socket cannot take it now, the connection ends without it.
        ERR_clear_error();
        SSL_shutdown(ssl_);
        ERR_clear_error();
    }
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

}  // namespace server
