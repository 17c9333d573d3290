#include "xml/base64.hpp"

#include <openssl/evp.h>

namespace xml {

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
    out.resize(std::size_t(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.empty()) return std::string();
    if (in.size() % 4 != 0) return std::nullopt;
    auto pad = in.ends_with("==") ? 2u : in.ends_with("=") ? 1u : 0u;
    for (std::size_t i = 0; i < in.size() - pad; ++i) {
        char c = in[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (!ok) return std::nullopt;
    }
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
    if (n < 0) return std::nullopt;
    out.resize(std::size_t(n) - pad);
    return out;
}

}  // namespace xml
