// Telling someone about an account's presence outside the broadcast: after a
// subscription is granted or revoked, or a block is lifted or imposed.
#pragma once

#include "server/hooks/module_api.hpp"

namespace modules {

// Every available resource's current presence, re-addressed to `to`.
void announce_presence(server::module_context& ctx, const xml::jid& account, const xml::jid& to);
// Unavailable presence from every available resource to `to`.
void announce_unavailable(server::module_context& ctx, const xml::jid& account, const xml::jid& to);

}  // namespace modules
