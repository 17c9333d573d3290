// XEP-0092 Software Version. The OS is not disclosed unless show_os is set:
// it helps attackers more than it helps users.
#include "modules/version/version.hpp"

#include <sys/utsname.h>

namespace modules {
namespace {

constexpr std::string_view ns_version = "jabber:iq:version";

class version final : public server::module {
  public:
    void start(server::module_context& ctx) override {
        bool show_os = ctx.option_bool("show_os", false);
        std::string os;
        if (show_os) {
            utsname u{};
            if (uname(&u) == 0) os = std::string(u.sysname) + " " + u.release;
        }
        ctx.add_feature(ns_version);
        ctx.on_iq(server::iq_type::get, server::to_kind::host, {std::string(ns_version), "query"},
                  [os](const server::iq_request& req) {
                      xml::builder q(ns_version, "query");
                      q.text_child(ns_version, "name", "Parley")
                          .text_child(ns_version, "version", PARLEY_VERSION);
                      if (!os.empty()) q.text_child(ns_version, "os", os);
                      req.reply(q.done());
                  });
    }
};

}  // namespace

server::module_info version_module_info() {
    return {"version", {{"XEP-0092", "1.1"}}, [] { return std::make_unique<version>(); }};
}

}  // namespace modules
