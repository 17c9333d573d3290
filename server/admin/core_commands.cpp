#include "server/admin/core_commands.hpp"

#include <algorithm>
#include <sstream>

#include "server/admin/account_commands.hpp"
#include "server/hooks/events.hpp"
#include "server/hooks/module_api.hpp"
#include "server/server.hpp"

namespace server::admin {

namespace {

std::string status_text(xmpp_server& s) {
    using namespace std::chrono;
    auto up = duration_cast<seconds>(steady_clock::now() - s.started_at()).count();
    std::ostringstream out;
    out << "parleyd is running\n"
        << "uptime: " << up << " s\n"
        << "hosts:";
    for (const auto& h : s.cfg().hosts) out << ' ' << h;
    out << "\nconnections: " << s.connection_count()
        << "\nsessions: " << s.routing().sessions().count() << "\nmodules:";
    for (const auto& m : s.modules().running()) out << ' ' << m;
    return out.str();
}

}  // namespace

void add_core_commands(registry& r, xmpp_server& server) {
    auto& cfg = server.cfg();
    auto run_on_storage = [&server](storage_job job, done_fn done) {
        server.storage().post([job = std::move(job),
                               done = std::move(done)](storage::database& db) { done(job(db)); });
    };
    auto removed = [&server](const std::string& user, const std::string& host) {
        // The account is gone: its streams end (RFC 6120 §4.9.3.12 <not-authorized/>
        // is what ejabberd and Prosody send too), and modules drop their data.
        auto bare = xml::jid::make(user, host);
        if (!bare) return;
        for (const auto& r : server.routing().sessions().resources(*bare))
            r.ep->kick(xml::stream_condition::not_authorized, "account removed");
        server.fire_account_removed(user, host);
    };
    auto removing = [&server](const std::string& user, const std::string& host) {
        server.fire_account_removing(user, host);
    };
    add_account_commands(r, cfg, run_on_storage, {removing, removed});
    for (const auto& m : builtin_modules())
        if (m.commands) m.commands(r, cfg, run_on_storage);
    r.add({"status",
           {},
           "show whether the server runs, and its load",
           [&server](const std::vector<std::string>&, done_fn done) {
               done({exit_code::ok, status_text(server)});
           }});
    r.add({"stop",
           {},
           "shut the server down gracefully",
           [&server](const std::vector<std::string>&, done_fn done) {
               done({exit_code::ok, "stopping"});
               server.stop();
           }});
    r.add({"connected_users",
           {},
           "list the bound sessions (full JIDs)",
           [&server](const std::vector<std::string>&, done_fn done) {
               auto all = server.routing().sessions().all();
               std::vector<std::string> jids;
               for (const auto& e : all) jids.push_back(e.full.str());
               std::sort(jids.begin(), jids.end());
               std::string out;
               for (const auto& j : jids) out += j + "\n";
               if (!out.empty()) out.pop_back();
               done({exit_code::ok, out});
           }});
}

}  // namespace server::admin
