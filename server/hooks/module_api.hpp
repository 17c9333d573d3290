// The one header modules include. A module registers IQ handlers keyed by the
// protocol (type, destination kind, payload qname), typed hooks, and the features
// and identities that disco and <stream:features> are assembled from. The server
// core names no XEP; everything else is a module.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/admin/registry.hpp"
#include "server/config.hpp"
#include "server/hooks/event_bus.hpp"
#include "xml/builder.hpp"
#include "xml/element.hpp"
#include "xml/jid.hpp"
#include "xml/qname.hpp"
#include "xml/stanza.hpp"
#include "xml/stanza_error.hpp"

namespace server {

class router;
class storage_executor;

enum class iq_type { get, set };
// Where the IQ was addressed (RFC 6121 §8.5 kinds): the server's domain, or an
// account's bare JID (the server answers on the account's behalf).
enum class to_kind { host, bare };

// An IQ get/set a module must answer exactly once: with reply() or error().
class iq_request {
  public:
    iq_request(xml::stanza iq, xml::jid from, xml::jid to, router& r)
        : iq_(std::move(iq)), from_(std::move(from)), to_(std::move(to)), router_(r) {}

    const xml::stanza& stanza() const { return iq_; }
    const xml::element& payload() const { return *iq_.payload(); }
    const xml::jid& from() const { return from_; }
    const xml::jid& to() const { return to_; }

    // Thread-safe: may be called later from a storage completion.
    void reply(xml::element_ptr payload = nullptr) const;
    void error(const xml::stanza_error& err) const;
    void error(xml::error_condition c, std::string text = {}) const;

  private:
    xml::stanza iq_;
    xml::jid from_;
    xml::jid to_;
    router& router_;
};

using iq_handler = std::function<void(const iq_request&)>;

struct available_resource {
    xml::jid full;
    int priority = 0;
    xml::element_ptr presence;  // the last available presence it broadcast
};

struct disco_identity {
    std::string category;
    std::string type;
    std::string name;
};

// What a module declares it implements (e.g. {"XEP-0092", "1.1"}), for docs and
// the compliance list.
struct protocol_ref {
    std::string spec;
    std::string version;
};

class module_context {
  public:
    virtual ~module_context() = default;

    virtual void on_iq(iq_type type, to_kind kind, xml::qname payload, iq_handler fn) = 0;
    virtual void add_feature(std::string_view var) = 0;
    virtual void add_identity(disco_identity id) = 0;
    virtual event_bus& events() = 0;

    template <class Event>
    void on(event_bus::handler<Event> fn, int priority = 0) {
        events().on<Event>(std::move(fn), priority);
    }

    // Everything registered so far (read by disco after all modules started).
    virtual const std::vector<std::string>& features() const = 0;
    virtual const std::vector<disco_identity>& identities() const = 0;

    // Module options from parley.yml (scalars as text), validated by the module.
    virtual std::optional<std::string> option(std::string_view name) const = 0;
    bool option_bool(std::string_view name, bool fallback) const;
    // Throws std::invalid_argument naming the option when out of range; the
    // server turns that into a start-up error with the config line.
    long long option_int(std::string_view name, long long fallback, long long min,
                         long long max) const;

    virtual const server::config& config() const = 0;
    virtual server::router& router() = 0;
    virtual storage_executor& storage() = 0;

    // One object shared by the modules that need it (the roster book of the
    // roster and presence modules), made by whichever asks first. Start-up only.
    template <class T>
    std::shared_ptr<T> shared(std::string_view name, std::function<std::shared_ptr<T>()> make) {
        return std::static_pointer_cast<T>(shared_object(name, [&] { return make(); }));
    }
    virtual std::shared_ptr<void> shared_object(
        std::string_view name, const std::function<std::shared_ptr<void>()>& make) = 0;

    // Answer a stanza with an error from where it was addressed (never an error
    // to an error, RFC 6120 §8.3.1). Any thread.
    virtual void bounce(const routed_stanza& s, const xml::stanza_error& err) = 0;
    // Route a stanza the module built; its 'from' and 'to' must be set. Any thread.
    virtual void send(xml::element_ptr stanza) = 0;
    // The full JIDs currently bound for an account. Any thread.
    virtual std::vector<xml::jid> bound_resources(const xml::jid& bare) const = 0;
    // The account's resources that sent available presence, with that presence
    // (RFC 6121 §4.2). Any thread.
    virtual std::vector<available_resource> available_resources(const xml::jid& bare) const = 0;
    // Hand a stanza straight to the account's available resources (`to` bare) or
    // to one resource (`to` full), past the routing hooks: for a module that did
    // the inbound processing itself. Returns how many sessions got it. Any thread.
    virtual std::size_t deliver_now(const xml::jid& to, const xml::element_ptr& stanza) = 0;
};

class module {
  public:
    virtual ~module() = default;
    virtual void start(module_context& ctx) = 0;
    virtual void stop() {}
};

struct module_info {
    std::string name;  // as in parley.yml's modules: map
    std::vector<protocol_ref> implements;
    std::function<std::unique_ptr<module>()> make;
    // Admin commands the module declares (parleyctl now, the HTTP API later). They
    // run with the server up (on a storage thread) and down (parleyctl, on the
    // database), so they may use only the database and the config.
    std::function<void(admin::registry&, const server::config&, admin::storage_runner)> commands =
        {};
};

// The built-in modules (defined in modules/registry.cpp, linked into parleyd).
std::vector<module_info> builtin_modules();

}  // namespace server
