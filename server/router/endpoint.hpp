// What the router sees of a bound client session. Every call is thread-safe: the
// implementation posts to the session's own executor.
#pragma once

#include <memory>
#include <string>

#include "xml/element.hpp"
#include "xml/stanza_error.hpp"

namespace server {

class endpoint {
  public:
    virtual ~endpoint() = default;
    // `bytes` is the stanza serialized once for all receivers of this routing.
    virtual void deliver(std::shared_ptr<const std::string> bytes) = 0;
    // End the session with a stream error (e.g. <conflict/> when replaced).
    virtual void kick(xml::stream_condition condition, std::string text) = 0;
};

}  // namespace server
