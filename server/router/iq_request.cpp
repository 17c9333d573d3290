#include "server/hooks/module_api.hpp"
#include "server/router/router.hpp"

namespace server {

void iq_request::reply(xml::element_ptr payload) const {
    auto result = iq_.iq_result(std::move(payload));
    // Answer as the entity that was asked (the server or the account).
    router_.route(
        routed_stanza{xml::stanza(result).with_addresses(to_.str(), from_.str()), to_, from_});
}

void iq_request::error(const xml::stanza_error& err) const {
    router_.bounce(routed_stanza{iq_.element(), from_, to_}, err);
}

void iq_request::error(xml::error_condition c, std::string text) const {
    error(xml::make_error(c, std::move(text)));
}

}  // namespace server
