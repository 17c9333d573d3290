// RFC 7622 preparation. Domainparts go through libidn2 (IDNA2008, UTS #46
// non-transitional mapping) and are kept as lower-case Unicode; localparts and
// resourceparts through ICU's stringprep profiles nodeprep and resourceprep, which
// is what deployed servers (ejabberd, Prosody) enforce and what clients expect.
#include "xml/jid.hpp"

#include <arpa/inet.h>
#include <idn2.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace xml {
namespace {

constexpr std::size_t max_part_bytes = 1023;  // RFC 7622 §3.2-3.4

UStringPrepProfile* profile(UStringPrepProfileType type) {
    // usprep profiles are immutable once opened and safe to share across threads.
    static std::once_flag once;
    static UStringPrepProfile* nodeprep_profile = nullptr;
    static UStringPrepProfile* resourceprep_profile = nullptr;
    std::call_once(once, [] {
        UErrorCode e1 = U_ZERO_ERROR, e2 = U_ZERO_ERROR;
        nodeprep_profile = usprep_openByType(USPREP_RFC3920_NODEPREP, &e1);
        resourceprep_profile = usprep_openByType(USPREP_RFC3920_RESOURCEPREP, &e2);
        if (U_FAILURE(e1)) nodeprep_profile = nullptr;
        if (U_FAILURE(e2)) resourceprep_profile = nullptr;
    });
    return type == USPREP_RFC3920_NODEPREP ? nodeprep_profile : resourceprep_profile;
}

std::optional<std::string> icu_prep(std::string_view in, UStringPrepProfileType type) {
    UStringPrepProfile* prof = profile(type);
    if (!prof) return std::nullopt;
    UErrorCode err = U_ZERO_ERROR;
    int32_t len16 = 0;
    // Invalid UTF-8 makes u_strFromUTF8 fail: such a JID is rejected.
    u_strFromUTF8(nullptr, 0, &len16, in.data(), int32_t(in.size()), &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) return std::nullopt;
    std::vector<UChar> src(std::size_t(len16) + 1);
    err = U_ZERO_ERROR;
    u_strFromUTF8(src.data(), int32_t(src.size()), &len16, in.data(), int32_t(in.size()), &err);
    if (U_FAILURE(err)) return std::nullopt;

    std::vector<UChar> out(std::size_t(len16) * 4 + 16);
    err = U_ZERO_ERROR;
    int32_t out_len = usprep_prepare(prof, src.data(), len16, out.data(), int32_t(out.size()),
                                     USPREP_DEFAULT, nullptr, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        out.resize(std::size_t(out_len) + 1);
        err = U_ZERO_ERROR;
        out_len = usprep_prepare(prof, src.data(), len16, out.data(), int32_t(out.size()),
                                 USPREP_DEFAULT, nullptr, &err);
    }
    if (U_FAILURE(err)) return std::nullopt;

    int32_t len8 = 0;
    err = U_ZERO_ERROR;
    u_strToUTF8(nullptr, 0, &len8, out.data(), out_len, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) return std::nullopt;
    std::string result(std::size_t(len8), '\0');
    err = U_ZERO_ERROR;
    u_strToUTF8(result.data(), len8, &len8, out.data(), out_len, &err);
    if (U_FAILURE(err)) return std::nullopt;
    return result;
}

bool is_ascii_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Fast path for the common case: lower-case ASCII hostnames need no IDNA.
bool is_plain_ascii_domain(std::string_view d) {
    if (d.empty()) return false;
    std::size_t label = 0;
    for (char c : d) {
        if (c == '.') {
            if (label == 0 || label > 63) return false;
            label = 0;
        } else if (is_ascii_label_char(c)) {
            ++label;
        } else {
            return false;
        }
    }
    return label > 0 && label <= 63 && d.front() != '-';
}

std::optional<std::string> idna_domain(std::string_view d) {
    std::string input(d);
    char* ascii = nullptr;
    int rc =
        idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                       reinterpret_cast<uint8_t**>(&ascii), IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        rc =
            idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                           reinterpret_cast<uint8_t**>(&ascii), IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK) return std::nullopt;
    std::unique_ptr<char, decltype(&idn2_free)> ascii_owner(ascii, idn2_free);
    // Store U-labels: JIDs compare as Unicode strings (RFC 7622 §3.2.2).
    char* unicode = nullptr;
    if (idn2_to_unicode_8z8z(ascii, &unicode, 0) != IDN2_OK) return std::nullopt;
    std::string out(unicode);
    idn2_free(unicode);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

// Printable ASCII is what almost every JID is made of, and for it the two
// stringprep profiles reduce to a few rules (RFC 3920 Appendix A/B: no ASCII
// character is mapped to nothing or changed by NFKC, and none is bidi RandAL).
// Parsing the 'to' of every stanza through ICU cost a sixth of the routing path.

// nodeprep: B.2 folds A-Z; C.1.1 (space), C.2.1 (controls) and the eight
// characters of Appendix A.5 are prohibited.
std::optional<std::string> ascii_nodeprep(std::string_view in) {
    std::string out(in);
    for (auto& c : out) {
        if (c < 0x21 || c > 0x7e) return std::nullopt;
        switch (c) {
            case '"':
            case '&':
            case '\'':
            case '/':
            case ':':
            case '<':
            case '>':
            case '@':
                return std::nullopt;
            default:
                if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
        }
    }
    return out;
}

bool is_printable_ascii(std::string_view in, char lowest) {
    for (char c : in)
        if (c < lowest || c > 0x7e) return false;
    return true;
}

std::optional<std::string> checked(std::optional<std::string> out) {
    if (!out || out->empty() || out->size() > max_part_bytes) return std::nullopt;
    return out;
}

}  // namespace

namespace detail {

std::optional<std::string> nodeprep_icu(std::string_view local) {
    return checked(icu_prep(local, USPREP_RFC3920_NODEPREP));
}

std::optional<std::string> resourceprep_icu(std::string_view resource) {
    return checked(icu_prep(resource, USPREP_RFC3920_RESOURCEPREP));
}

}  // namespace detail

std::optional<std::string> nodeprep(std::string_view local) {
    if (local.empty() || local.size() > max_part_bytes) return std::nullopt;
    // Anything printable is decided here; other ASCII (controls) and non-ASCII
    // go to ICU.
    if (is_printable_ascii(local, 0x20)) return checked(ascii_nodeprep(local));
    return detail::nodeprep_icu(local);
}

std::optional<std::string> resourceprep(std::string_view resource) {
    if (resource.empty() || resource.size() > max_part_bytes) return std::nullopt;
    // resourceprep leaves printable ASCII (the space included, C.1.1 is allowed)
    // as it is.
    if (is_printable_ascii(resource, 0x20)) return std::string(resource);
    return detail::resourceprep_icu(resource);
}

std::optional<std::string> nameprep_domain(std::string_view domain) {
    // RFC 7622 §3.2: a trailing dot is removed before anything else.
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (domain.empty() || domain.size() > max_part_bytes) return std::nullopt;
    if (domain.front() == '[') {
        // IPv6 literal (RFC 7622 §3.2.1).
        if (domain.back() != ']') return std::nullopt;
        std::string addr(domain.substr(1, domain.size() - 2));
        in6_addr a6{};
        if (inet_pton(AF_INET6, addr.c_str(), &a6) != 1) return std::nullopt;
        return std::string(domain);
    }
    // RFC 7622 §3.2: every label has at least one character.
    if (domain.front() == '.' || domain.find("..") != std::string_view::npos) return std::nullopt;
    std::string lowered(domain);
    bool ascii = true;
    for (auto& c : lowered) {
        if (static_cast<unsigned char>(c) >= 0x80)
            ascii = false;
        else if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    }
    if (ascii) {
        // A-labels ("xn--") are stored as U-labels, so both spellings compare equal.
        // (Checked first: this is every stanza's 'to'; an IPv4 address passes too.)
        if (is_plain_ascii_domain(lowered) && lowered.find("xn--") == std::string::npos)
            return lowered;
        in_addr a4{};
        if (inet_pton(AF_INET, lowered.c_str(), &a4) == 1) return lowered;
        // ASCII with characters no hostname has ('@', '/', ' ', '_', ...).
        for (char c : lowered)
            if (!is_ascii_label_char(c) && c != '.') return std::nullopt;
    }
    auto out = idna_domain(domain);
    if (!out || out->empty() || out->size() > max_part_bytes) return std::nullopt;
    return out;
}

std::optional<jid> jid::parse(std::string_view s) {
    // RFC 7622 §3.1: the resource is everything after the first '/', and the
    // localpart is what precedes the first '@' before that.
    std::string_view resource, rest = s;
    bool has_resource = false;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
        resource = s.substr(slash + 1);
        rest = s.substr(0, slash);
        has_resource = true;
    }
    std::string_view local, domain = rest;
    bool has_local = false;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        local = rest.substr(0, at);
        domain = rest.substr(at + 1);
        has_local = true;
    }
    if ((has_local && local.empty()) || (has_resource && resource.empty())) return std::nullopt;
    return make(local, domain, resource);
}

std::optional<jid> jid::make(std::string_view local, std::string_view domain,
                             std::string_view resource) {
    jid j;
    if (!local.empty()) {
        auto l = nodeprep(local);
        if (!l) return std::nullopt;
        j.local_ = std::move(*l);
    }
    auto d = nameprep_domain(domain);
    if (!d) return std::nullopt;
    j.domain_ = std::move(*d);
    if (!resource.empty()) {
        auto r = resourceprep(resource);
        if (!r) return std::nullopt;
        j.resource_ = std::move(*r);
    }
    return j;
}

jid jid::bare() const {
    jid j = *this;
    j.resource_.clear();
    return j;
}

jid jid::with_resource(std::string_view prepared_resource) const {
    jid j = *this;
    j.resource_ = prepared_resource;
    return j;
}

std::string jid::bare_str() const {
    if (local_.empty()) return domain_;
    return local_ + "@" + domain_;
}

bool jid::str_equals(std::string_view s) const {
    if (!local_.empty()) {
        if (s.size() <= local_.size() || !s.starts_with(local_) || s[local_.size()] != '@')
            return false;
        s.remove_prefix(local_.size() + 1);
    }
    if (!s.starts_with(domain_)) return false;
    s.remove_prefix(domain_.size());
    if (resource_.empty()) return s.empty();
    return s.size() == resource_.size() + 1 && s[0] == '/' && s.substr(1) == resource_;
}

std::string jid::str() const {
    auto s = bare_str();
    if (!resource_.empty()) s += "/" + resource_;
    return s;
}

}  // namespace xml
