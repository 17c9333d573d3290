#include "server/hooks/module_host.hpp"

#include <algorithm>
#include <stdexcept>

#include "server/log.hpp"
#include "server/router/router.hpp"

namespace server {

bool module_context::option_bool(std::string_view name, bool fallback) const {
    auto v = option(name);
    if (!v) return fallback;
    if (*v == "true" || *v == "yes" || *v == "on") return true;
    if (*v == "false" || *v == "no" || *v == "off") return false;
    throw std::invalid_argument(std::string(name) + ": expected true or false, got '" + *v + "'");
}

long long module_context::option_int(std::string_view name, long long fallback, long long min,
                                     long long max) const {
    auto v = option(name);
    if (!v) return fallback;
    try {
        std::size_t used = 0;
        long long n = std::stoll(*v, &used);
        if (used == v->size() && n >= min && n <= max) return n;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(std::string(name) + ": expected an integer between " +
                                std::to_string(min) + " and " + std::to_string(max) + ", got '" +
                                *v + "'");
}

class module_host::context final : public module_context {
  public:
    context(module_host& host, const module_config* mc) : host_(host), mc_(mc) {}

    void on_iq(iq_type type, to_kind kind, xml::qname payload, iq_handler fn) override {
        host_.iqs_.add(type, kind, std::move(payload), std::move(fn));
    }
    void add_feature(std::string_view var) override {
        auto& f = host_.features_;
        if (std::find(f.begin(), f.end(), var) == f.end()) f.emplace_back(var);
    }
    void add_identity(disco_identity id) override { host_.identities_.push_back(std::move(id)); }
    event_bus& events() override { return host_.events_; }
    const std::vector<std::string>& features() const override { return host_.features_; }
    const std::vector<disco_identity>& identities() const override { return host_.identities_; }
    std::optional<std::string> option(std::string_view name) const override {
        if (!mc_) return std::nullopt;
        auto it = mc_->options.find(std::string(name));
        if (it == mc_->options.end()) return std::nullopt;
        return it->second;
    }
    const server::config& config() const override { return host_.cfg_; }
    server::router& router() override { return host_.router_; }
    storage_executor& storage() override { return host_.storage_; }
    std::shared_ptr<void> shared_object(
        std::string_view name, const std::function<std::shared_ptr<void>()>& make) override {
        auto& slot = host_.shared_[std::string(name)];
        if (!slot) slot = make();
        return slot;
    }
    void bounce(const routed_stanza& s, const xml::stanza_error& err) override {
        host_.router_.bounce(s, err);
    }
    void send(xml::element_ptr stanza) override { host_.router_.route(std::move(stanza)); }
    std::vector<xml::jid> bound_resources(const xml::jid& bare) const override {
        std::vector<xml::jid> out;
        for (const auto& r : host_.router_.sessions().resources(bare)) out.push_back(r.full);
        return out;
    }
    std::vector<available_resource> available_resources(const xml::jid& bare) const override {
        std::vector<available_resource> out;
        for (const auto& r : host_.router_.sessions().resources(bare))
            if (r.available) out.push_back({r.full, r.priority, r.last_presence});
        return out;
    }
    std::size_t deliver_now(const xml::jid& to, const xml::element_ptr& stanza) override {
        return host_.router_.deliver_to_resources(to, *stanza);
    }

  private:
    module_host& host_;
    const module_config* mc_;
};

module_host::module_host(const server::config& cfg, event_bus& events, iq_dispatch& iqs, router& r,
                         storage_executor& storage)
    : cfg_(cfg), events_(events), iqs_(iqs), router_(r), storage_(storage) {}

module_host::~module_host() {
    stop();
}

std::optional<std::string> module_host::start(const std::vector<module_info>& available) {
    for (const auto& info : available) {
        auto it = cfg_.modules.find(info.name);
        const module_config* mc = it == cfg_.modules.end() ? nullptr : &it->second;
        if (mc && !mc->enabled) {
            log::info("modules", info.name, " disabled in config");
            continue;
        }
        auto ctx = std::make_unique<context>(*this, mc);
        auto mod = info.make();
        try {
            mod->start(*ctx);
        } catch (const std::exception& e) {
            std::string where = cfg_.source.empty() ? "config" : cfg_.source;
            if (mc) where += ":" + std::to_string(mc->line);
            return where + ": modules." + info.name + ": " + e.what();
        }
        contexts_.push_back(std::move(ctx));
        modules_.emplace_back(info.name, std::move(mod));
    }
    return std::nullopt;
}

void module_host::stop() {
    // Modules are destroyed with the host, after the storage threads ended: a
    // storage job still queued may call back into them.
    if (stopped_) return;
    stopped_ = true;
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) it->second->stop();
}

std::vector<std::string> module_host::running() const {
    std::vector<std::string> names;
    for (const auto& [name, m] : modules_) names.push_back(name);
    return names;
}

}  // namespace server
