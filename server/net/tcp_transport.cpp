// Plain TCP, STARTTLS and direct TLS over Asio and OpenSSL.
#include "server/net/tcp_transport.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace server {

using asio::use_awaitable;

tcp_transport::tcp_transport(asio::ip::tcp::socket socket, asio::ssl::context* tls, mode m)
    : socket_(std::move(socket)), tls_(tls), mode_(m) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    address_ = ec ? "?" : ep.address().to_string();
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::ip::tcp::socket& tcp_transport::socket() {
    return tls_stream_ ? tls_stream_->next_layer() : socket_;
}

asio::awaitable<void> tcp_transport::handshake() {
    tls_stream_ =
        std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket_), *tls_);
    co_await tls_stream_->async_handshake(asio::ssl::stream_base::server, use_awaitable);
    handshake_done_ = true;
}

asio::awaitable<void> tcp_transport::open() {
    if (mode_ == mode::direct) co_await handshake();
}

asio::awaitable<void> tcp_transport::start_tls() {
    co_await handshake();
}

asio::awaitable<std::string_view> tcp_transport::read() {
    auto buf = asio::buffer(buf_);
    std::size_t n = tls_stream_ ? co_await tls_stream_->async_read_some(buf, use_awaitable)
                                : co_await socket_.async_read_some(buf, use_awaitable);
    co_return std::string_view(buf_, n);
}

asio::awaitable<void> tcp_transport::write(const output_units& out) {
    // A byte stream: every unit queued in this turn leaves in one write.
    auto buf = asio::buffer(out.bytes);
    if (tls_stream_)
        co_await asio::async_write(*tls_stream_, buf, use_awaitable);
    else
        co_await asio::async_write(socket_, buf, use_awaitable);
}

std::vector<sasl::channel_binding> tcp_transport::channel_bindings() const {
    if (!is_secure()) return {};
    return tls_channel_bindings(tls_stream_->native_handle());
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
    // RFC 5929 §4: hash of our certificate with its signature's hash, SHA-256 for
    // MD5 and SHA-1.
    if (X509* cert = SSL_get_certificate(ssl)) {
        int md_nid = NID_undef;
        OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, nullptr);
        const EVP_MD* md = (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_undef)
                               ? EVP_sha256()
                               : EVP_get_digestbynid(md_nid);
        unsigned char hash[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (md && X509_digest(cert, md, hash, &len) == 1)
            out.push_back(
                {"tls-server-end-point", std::string(reinterpret_cast<char*>(hash), len), true});
    }
    return out;
}

void tcp_transport::close() {
    boost::system::error_code ec;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket().close(ec);
}

}  // namespace server
