// The server's TLS configuration: certificate and key (generated self-signed for
// the first host when none is configured), TLS 1.2+, ALPN "xmpp-client" for
// direct TLS (XEP-0368), and SSL_MODE_RELEASE_BUFFERS so idle connections do not
// keep 34 KiB of record buffers each.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <optional>
#include <string>
#include <vector>

#include "server/config.hpp"

namespace server {

namespace asio = boost::asio;

// Loads the configured certificate or creates <data_dir>/<host>.pem. Returns an
// error message naming the file on failure.
std::optional<std::string> make_tls_context(const config& cfg, asio::ssl::context& ctx);

// Writes a self-signed certificate + key (P-256, SAN = hosts) to `pem_path`.
std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const std::string& pem_path);

}  // namespace server
