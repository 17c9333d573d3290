// presence: users with 20-contact rosters log in and their presence fans out.
//
// TODO: Parley has no presence subscriptions yet (RFC 6121 §3), so a roster
// with 'both' subscriptions cannot be set up on it; comparing fan-out against
// Prosody and ejabberd alone would not be a comparison. Until subscriptions
// land, the scenario reports itself skipped.
#include "bench/load/report.hpp"
#include "bench/load/scenario.hpp"

namespace bench {

void run_presence(const run_options& opts) {
    report r("presence", opts.label);
    r.add("skipped", "Parley has no presence subscriptions yet");
    r.print({"server", "skipped"});
}

}  // namespace bench
