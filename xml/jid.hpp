// JID value type, prepared per RFC 7622: the domainpart through libidn2
// (IDNA2008, lower-cased, trailing dot removed), the localpart through
// nodeprep and the resourcepart through resourceprep (ICU usprep profiles).
// A jid that exists is valid: the only way to get one is parse()/make().
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace xml {

class jid {
  public:
    jid() = default;  // empty; only useful as a placeholder

    // nullopt for anything RFC 7622 rejects (empty parts, over 1023 bytes per
    // part, prohibited code points, bad IDNA domain, ...).
    static std::optional<jid> parse(std::string_view s);
    static std::optional<jid> make(std::string_view local, std::string_view domain,
                                   std::string_view resource = {});

    const std::string& local() const { return local_; }
    const std::string& domain() const { return domain_; }
    const std::string& resource() const { return resource_; }

    bool empty() const { return domain_.empty(); }
    bool is_bare() const { return resource_.empty(); }
    bool is_domain() const { return local_.empty() && resource_.empty(); }
    jid bare() const;
    jid with_resource(std::string_view prepared_resource) const;  // resource already prepared
    std::string str() const;                                      // local@domain/resource
    // str() == s, without building str().
    bool str_equals(std::string_view s) const;
    std::string bare_str() const;

    friend auto operator<=>(const jid&, const jid&) = default;
    friend bool operator==(const jid&, const jid&) = default;

  private:
    std::string local_;
    std::string domain_;
    std::string resource_;
};

// Part-wise preparation, exposed for resource binding and account names.
std::optional<std::string> nodeprep(std::string_view local);
std::optional<std::string> resourceprep(std::string_view resource);

namespace detail {
// The ICU profiles alone, without the ASCII fast path (for tests that check the
// two agree).
std::optional<std::string> nodeprep_icu(std::string_view local);
std::optional<std::string> resourceprep_icu(std::string_view resource);
}  // namespace detail
std::optional<std::string> nameprep_domain(std::string_view domain);

}  // namespace xml
