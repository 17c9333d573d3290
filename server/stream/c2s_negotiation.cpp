// RFC 6120 §4-7 for client streams: the header, <stream:features>, STARTTLS,
// SASL and resource binding. Policy (TLS required, mechanisms, resource limits)
// comes from the config; modules add their own stream features through the
// stream_features event.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "server/log.hpp"
#include "server/stream/c2s_session.hpp"
#include "xml/base64.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

namespace server {

using xml::builder;
using xml::stream_condition;
namespace ns = xml::ns;

namespace {

// XEP-0440: which channel-binding types the server supports.
constexpr std::string_view ns_sasl_cb = "urn:xmpp:sasl-cb:0";
// RFC 6120 §6.4.5: at most this many failed attempts on one stream.
constexpr unsigned max_sasl_failures_per_stream = 5;

std::string random_token(std::size_t len) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string s(len, ' ');
    for (auto& c : s) c = alphabet[rng() % (sizeof alphabet - 1)];
    return s;
}

// RFC 6120 §6.4.2: an empty payload is sent as "=".
std::string sasl_encode(std::string_view in) {
    return in.empty() ? "=" : xml::base64_encode(in);
}

std::optional<std::string> sasl_decode(std::string_view in) {
    if (in == "=") return std::string();
    return xml::base64_decode(in);
}

// RFC 6120 §4.7.5: "major.minor", each a non-negative integer; major >= 1.
bool supports_version(std::string_view v) {
    auto dot = v.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return false;
    auto digits = [](std::string_view s) {
        return s.size() <= 9 && s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    auto major = v.substr(0, dot);
    if (!digits(major) || !digits(v.substr(dot + 1))) return false;
    return std::stoul(std::string(major)) >= 1;
}

}  // namespace

void c2s_session::on_stream_open(const xml::element& header) {
    // Answer with our header first, so that any stream error below is sent inside
    // a stream (RFC 6120 §4.9.1.1).
    auto to = header.attr_or("to", "");
    auto prepared = xml::nameprep_domain(to);
    bool served = prepared && ctx_.router.is_local(*prepared);
    // After SASL the stream belongs to the account's domain: a restart keeps it
    // (a missing 'to' included), and one naming another host is refused below.
    if (!authenticated_) host_ = served ? *prepared : ctx_.config.hosts.front();
    stream_id_ = random_token(16);
    xml::stream_header h;
    h.from = host_;
    h.id = stream_id_;
    if (auto from = header.attr("from")) {
        // RFC 6120 §4.7.2: echo the client's 'from' as 'to' when it is a valid JID.
        if (auto j = xml::jid::parse(*from)) h.to = j->str();
    }
    queue_header(h);
    header_sent_ = true;

    // A header (an RFC 7395 <open/>, a BOSH restart) is only valid where a stream
    // begins: at the start and after STARTTLS or SASL success.
    if (state_ != stream_state::wait_for_stream)
        return fail(stream_condition::unsupported_stanza_type,
                    "a stream header is only allowed at the start of a stream");
    if (header.name() != xml::qname{std::string(ns::stream), "stream"})
        return fail(stream_condition::invalid_namespace, "expected <stream:stream>");
    // RFC 6120 §4.8.2, §4.9.3.10: the content namespace of a client stream is
    // jabber:client. (WebSocket and BOSH have no stream header to declare it; their
    // framings qualify every element themselves.)
    if (transport_->framing() == framing_kind::stream && header.attr_or("xmlns", "") != ns::client)
        return fail(stream_condition::invalid_namespace,
                    "the default namespace must be jabber:client");
    // RFC 6120 §4.7.2: a 'to' naming a domain we do not serve. A missing 'to' gets
    // the default host.
    if (!to.empty() && !served)
        return fail(stream_condition::host_unknown,
                    "this server does not serve " + std::string(to));
    if (authenticated_ && !to.empty() && *prepared != host_)
        return fail(stream_condition::not_authorized,
                    "this stream is authenticated for " + host_ + ", not " + *prepared);
    // RFC 6120 §4.7.5: the major version must be 1 or higher; none means pre-1.0,
    // which we do not speak. A higher version is answered with our 1.0.
    if (!supports_version(header.attr_or("version", "")))
        return fail(stream_condition::unsupported_version, "version 1.0 required");

    state_ = stream_state::negotiating;
    send_features();
}

void c2s_session::send_features() {
    std::vector<xml::element_ptr> features;
    bool secure = transport_->is_secure();
    bool tls_pending = !secure && ctx_.config.tls.require_tls && transport_->can_start_tls();
    if (!secure && transport_->can_start_tls()) {
        builder tls(ns::tls, "starttls");
        if (ctx_.config.tls.require_tls) tls.child(builder(ns::tls, "required"));
        features.push_back(tls.done());
    }
    if (!authenticated_ && !tls_pending) {
        auto& exchange = sasl_exchange();
        builder mechs(ns::sasl, "mechanisms");
        for (const auto& m : exchange.mechanisms()) mechs.text_child(ns::sasl, "mechanism", m);
        features.push_back(mechs.done());
        auto cb_types = exchange.channel_binding_types();
        if (!cb_types.empty()) {
            builder cb(ns_sasl_cb, "sasl-channel-binding");
            for (const auto& t : cb_types)
                cb.child(builder(ns_sasl_cb, "channel-binding").attr("type", t));
            features.push_back(cb.done());
        }
    }
    if (authenticated_) {
        features.push_back(builder(ns::bind, "bind").done());
        // RFC 6121 Appendix E / RFC 3921 session establishment, optional now.
        features.push_back(
            builder(ns::session, "session").child(builder(ns::session, "optional")).done());
    }
    stream_features ev{authenticated_, secure, features};
    ctx_.events.fire(ev);

    builder f(ns::stream, "features");
    for (auto& el : features) f.child(el);
    queue(*f.done());
}

sasl::exchange& c2s_session::sasl_exchange() {
    if (!sasl_) {
        sasl::tls_info tls{transport_->is_secure(), transport_->channel_bindings()};
        sasl_ =
            std::make_unique<sasl::exchange>(host_, std::move(tls), ctx_.config.sasl.mechanisms);
    }
    return *sasl_;
}

asio::awaitable<void> c2s_session::negotiate(const xml::element_ptr& el) {
    if (state_ != stream_state::negotiating)
        co_return fail(stream_condition::not_authorized, "stream not open");
    const auto& name = el->name();
    if (name.ns == ns::tls && name.name == "starttls" && !authenticated_)
        co_return co_await start_tls();
    if (name.ns == ns::sasl && !authenticated_) {
        if (!transport_->is_secure() && ctx_.config.tls.require_tls &&
            transport_->can_start_tls()) {
            sasl_failure("encryption-required", "use STARTTLS first");
            co_return;
        }
        if (name.name == "auth") co_return co_await sasl_auth(*el);
        if (name.name == "response") co_return co_await sasl_response(*el);
        if (name.name == "abort") {
            sasl_.reset();
            co_return sasl_failure("aborted");
        }
        co_return fail(stream_condition::unsupported_stanza_type, "unknown SASL element");
    }
    if (authenticated_ && xml::stanza(el).kind() == xml::stanza_kind::iq) {
        auto type = el->attr_or("type", "");
        const auto* payload = el->first_child();
        if (type == "set" && payload &&
            payload->name() == xml::qname{std::string(ns::bind), "bind"})
            co_return bind_resource(el);
        if (payload && payload->name() == xml::qname{std::string(ns::session), "session"}) {
            // Answered before and after binding for old clients (RFC 3921 §3).
            co_return queue(*xml::stanza(el).iq_result());
        }
        co_return stanza_error(el, xml::error_condition::not_authorized, "bind a resource first");
    }
    // RFC 6120 §6.4.1 / §7.2: nothing else is allowed before authentication and
    // binding.
    fail(stream_condition::not_authorized, "authenticate and bind first");
}

asio::awaitable<void> c2s_session::start_tls() {
    if (!transport_->can_start_tls()) {
        queue(*builder(ns::tls, "failure").done());
        co_return fail(stream_condition::undefined_condition, "TLS not available");
    }
    queue(*builder(ns::tls, "proceed").done());
    co_await flush();
    co_await transport_->start_tls();
    // RFC 6120 §5.4.3.3: a new stream over TLS; nothing from before counts.
    framing_->restart();
    inbox_.clear();
    sasl_.reset();
    state_ = stream_state::wait_for_stream;
}

asio::awaitable<void> c2s_session::sasl_auth(const xml::element& auth) {
    auto mechanism = std::string(auth.attr_or("mechanism", ""));
    auto text = auth.text();
    auto initial = sasl_decode(text);
    if (!initial) co_return sasl_failure("incorrect-encoding");
    auto& exchange = sasl_exchange();
    bool has_initial = !text.empty();
    // Named, not a temporary inside co_await: GCC 12 destroys such temporaries
    // twice (GCC bug 99576).
    auto job = [&exchange, mechanism, data = *initial, has_initial](storage::database&) {
        return exchange.start(mechanism, data, has_initial);
    };
    auto result = co_await ctx_.storage.run(std::move(job));
    co_await sasl_outcome(result);
}

asio::awaitable<void> c2s_session::sasl_response(const xml::element& response) {
    if (!sasl_) co_return sasl_failure("malformed-request", "no authentication in progress");
    auto data = sasl_decode(response.text());
    if (!data) co_return sasl_failure("incorrect-encoding");
    auto& exchange = *sasl_;
    auto job = [&exchange, data = *data](storage::database&) { return exchange.step(data); };
    auto result = co_await ctx_.storage.run(std::move(job));
    co_await sasl_outcome(result);
}

asio::awaitable<void> c2s_session::sasl_outcome(const sasl::step_result& r) {
    if (state_ == stream_state::closing) co_return;
    using status = sasl::step_result::status;
    if (r.state == status::challenge) {
        co_return queue(*builder(ns::sasl, "challenge").text(sasl_encode(r.data)).done());
    }
    if (r.state == status::success) {
        user_ = r.username;
        authenticated_ = true;
        sasl_.reset();
        builder ok(ns::sasl, "success");
        if (!r.data.empty()) ok.text(sasl_encode(r.data));
        queue(*ok.done());
        log::info("c2s", remote_address(), ": authenticated as ", user_, "@", host_);
        // RFC 6120 §6.4.6: the stream restarts after SASL success.
        framing_->restart();
        inbox_.clear();
        state_ = stream_state::wait_for_stream;
        co_return;
    }
    sasl_.reset();
    auto delay = ctx_.throttle.failed(remote_address());
    if (delay.count() > 0) {
        // Answer late: a guesser pays in time, the I/O thread does not block.
        asio::steady_timer t(io_, delay);
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (state_ == stream_state::closing) co_return;
    }
    log::info("c2s", remote_address(), ": authentication failed (", sasl::to_string(r.error), ")");
    if (!r.detail.empty()) log::debug("c2s", remote_address(), ": SASL: ", r.detail);
    sasl_failure(sasl::to_string(r.error), r.text);
    if (++sasl_failures_ >= max_sasl_failures_per_stream)
        fail(stream_condition::policy_violation, "too many failed authentication attempts");
}

void c2s_session::sasl_failure(std::string_view condition, std::string_view text) {
    builder f(ns::sasl, "failure");
    f.child(builder(ns::sasl, condition));
    if (!text.empty()) f.text_child(ns::sasl, "text", text);
    queue(*f.done());
}

void c2s_session::bind_resource(const xml::element_ptr& iq) {
    if (!jid_.empty()) return stanza_error(iq, xml::error_condition::not_allowed, "already bound");
    const auto* bind = iq->first_child();
    const auto* res = bind->child(ns::bind, "resource");
    std::string resource;
    if (res && !res->text().empty()) {
        auto prepared = xml::resourceprep(res->text());
        // RFC 6120 §7.7.2.1: a resourcepart we cannot accept.
        if (!prepared)
            return stanza_error(iq, xml::error_condition::bad_request, "invalid resource");
        resource = *prepared;
    } else {
        resource = "parley-" + random_token(10);  // RFC 6120 §7.6: server-generated
    }
    auto full = xml::jid::make(user_, host_, resource);
    if (!full) return stanza_error(iq, xml::error_condition::bad_request, "invalid JID");

    auto result = ctx_.router.sessions().bind(*full, shared_from_this(), remote_address(),
                                              ctx_.config.limits.max_resources_per_account);
    if (result.outcome == bind_outcome::too_many)
        return stanza_error(iq, xml::error_condition::resource_constraint, "too many resources");
    if (result.replaced) {
        // The newer connection wins (RFC 6120 §7.7.2.2, the "override" policy).
        result.replaced->kick(stream_condition::conflict, "replaced by a new connection");
    }
    jid_ = *full;
    jid_text_ = jid_.str();
    state_ = stream_state::established;
    arm_deadline();  // from the handshake deadline to the idle one
    queue(*xml::stanza(iq).iq_result(
        builder(ns::bind, "bind").text_child(ns::bind, "jid", jid_.str()).done()));
    log::info("c2s", remote_address(), ": bound ", jid_.str());
    session_bound ev{jid_};
    ctx_.events.fire(ev);
}

}  // namespace server
