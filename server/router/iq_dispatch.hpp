// (type, destination kind, payload qname) -> module handler. Filled while modules
// start, read-only afterwards.
#pragma once

#include <map>
#include <tuple>

#include "server/hooks/module_api.hpp"

namespace server {

class iq_dispatch {
  public:
    void add(iq_type type, to_kind kind, xml::qname payload, iq_handler fn);
    // Null when nobody handles it (the router answers <service-unavailable/>).
    const iq_handler* find(iq_type type, to_kind kind, const xml::qname& payload) const;

  private:
    std::map<std::tuple<iq_type, to_kind, xml::qname>, iq_handler> handlers_;
};

}  // namespace server
