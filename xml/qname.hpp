// A namespace-qualified XML name: the key every dispatch table in Parley uses.
#pragma once

#include <compare>
#include <string>

namespace xml {

struct qname {
    std::string ns;
    std::string name;

    friend auto operator<=>(const qname&, const qname&) = default;
    friend bool operator==(const qname&, const qname&) = default;
};

}  // namespace xml
