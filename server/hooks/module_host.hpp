// Starts the enabled modules in registry order and gives each a module_context.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/hooks/module_api.hpp"
#include "server/router/iq_dispatch.hpp"

namespace server {

class module_host {
  public:
    module_host(const server::config& cfg, event_bus& events, iq_dispatch& iqs, router& r,
                storage_executor& storage);
    ~module_host();

    // Returns an error message (naming the module and config line) on failure.
    std::optional<std::string> start(const std::vector<module_info>& available);
    void stop();

    const std::vector<std::string>& features() const { return features_; }
    const std::vector<disco_identity>& identities() const { return identities_; }
    std::vector<std::string> running() const;

  private:
    class context;
    const server::config& cfg_;
    event_bus& events_;
    iq_dispatch& iqs_;
    router& router_;
    storage_executor& storage_;
    std::vector<std::string> features_;
    std::vector<disco_identity> identities_;
    std::vector<std::pair<std::string, std::unique_ptr<module>>> modules_;
    std::vector<std::unique_ptr<context>> contexts_;
    std::map<std::string, std::shared_ptr<void>> shared_;
    bool stopped_ = false;
};

}  // namespace server
