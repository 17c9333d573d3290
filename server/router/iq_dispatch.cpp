#include "server/router/iq_dispatch.hpp"

#include <stdexcept>

namespace server {

void iq_dispatch::add(iq_type type, to_kind kind, xml::qname payload, iq_handler fn) {
    auto key = std::make_tuple(type, kind, payload);
    // Two modules answering the same query is a configuration bug, not a runtime
    // condition: refuse to start rather than pick one silently.
    if (handlers_.count(key))
        throw std::logic_error("two handlers for IQ payload {" + payload.ns + "}" + payload.name);
    handlers_.emplace(std::move(key), std::move(fn));
}

const iq_handler* iq_dispatch::find(iq_type type, to_kind kind, const xml::qname& payload) const {
    auto it = handlers_.find(std::make_tuple(type, kind, payload));
    return it == handlers_.end() ? nullptr : &it->second;
}

}  // namespace server
