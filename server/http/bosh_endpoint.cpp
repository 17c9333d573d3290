#include "server/http/bosh_endpoint.hpp"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <charconv>

#include "server/log.hpp"
#include "server/net/bosh_transport.hpp"
#include "server/stream/c2s_session.hpp"
#include "xml/jid.hpp"
#include "xml/stream_parser.hpp"

namespace server {

namespace {

constexpr std::string_view ns_httpbind = "http://jabber.org/protocol/httpbind";
constexpr std::string_view ns_xbosh = "urn:xmpp:xbosh";
// XEP-0124 §14.1: rid values stay below 2^53 so clients can count in doubles.
constexpr std::uint64_t max_rid = (1ull << 53) - 1;

// The <body> start tag, and whether any element follows it: the elements
// themselves are the session's to parse, so parsing stops at the first one. Works
// on the start of a body too.
struct body_head {
    xml::element_ptr el;
    bool payload = false;
};

body_head body_element(std::string_view text) {
    body_head got;
    xml::stream_parser* self = nullptr;
    xml::parser_events ev;
    ev.on_open = [&](const xml::element& b) { got.el = std::make_shared<const xml::element>(b); };
    ev.on_element = [&](xml::element_ptr) {
        got.payload = true;
        self->stop();
    };
    ev.on_close = [] {};
    ev.on_error = [](xml::parse_error, std::string) {};
    xml::stream_parser parser(std::move(ev));
    self = &parser;
    parser.feed(text);
    if (!got.el || got.el->name() != xml::qname{std::string(ns_httpbind), "body"}) return {};
    return got;
}

std::optional<std::uint64_t> number(std::optional<std::string_view> text, std::uint64_t max) {
    if (!text || text->empty()) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v > max) return std::nullopt;
    return v;
}

// The sid is all that ties a request to a logged-in session: unguessable.
std::string new_sid() {
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no randomness for a BOSH sid");
    static constexpr char hex[] = "0123456789abcdef";
    std::string sid;
    for (auto b : raw) {
        sid += hex[b >> 4];
        sid += hex[b & 15];
    }
    return sid;
}

// XEP-0124 §17: errors a client can act on come as a terminating body.
std::string terminate_body(std::string_view condition) {
    return "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='" +
           std::string(condition) + "'/>";
}

// XEP-0124 §20.1 (Security Considerations): a request for a session created
// over HTTPS that comes over plain HTTP is not answered; the connection is
// closed, and the session goes on (ending it would let anyone who saw the sid end
// it).
struct insecure_request : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

std::shared_ptr<bosh_session> bosh_endpoint::find(const std::string& sid) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return nullptr;
    auto s = it->second.lock();
    if (!s) sessions_.erase(it);
    return s;
}

void bosh_endpoint::forget(const std::string& sid) {
    std::lock_guard lock(mu_);
    sessions_.erase(sid);
}

void bosh_endpoint::add_cors(const http_request& req, http_response& res) const {
    auto origin = sv(req[http::field::origin]);
    if (origin.empty()) return;
    for (const auto& allowed : streams_.config.http.cors_origins) {
        if (allowed == "*" || allowed == origin) {
            res.set(http::field::access_control_allow_origin,
                    boost::beast::string_view(origin.data(), origin.size()));
            res.set(http::field::vary, "Origin");
            return;
        }
    }
}

http_response bosh_endpoint::preflight(const http_request& req) const {
    auto res = make_response(req, http::status::no_content, "text/plain", "");
    add_cors(req, res);
    res.set(http::field::access_control_allow_methods, "POST, OPTIONS");
    res.set(http::field::access_control_allow_headers, "Content-Type");
    res.set(http::field::access_control_max_age, "86400");
    return res;
}

asio::awaitable<http_response> bosh_endpoint::post(const http_request& req, asio::io_context& io,
                                                   bool secure, const std::string& address) {
    auto answer = [&](std::string body) {
        auto res = make_response(req, http::status::ok, "text/xml; charset=utf-8", std::move(body));
        add_cors(req, res);
        return res;
    };
    auto head = body_element(req.body());
    const auto& body = head.el;
    auto rid = body ? number(body->attr("rid"), max_rid) : std::nullopt;
    if (!body || !rid) co_return answer(terminate_body("bad-request"));

    std::shared_ptr<bosh_session> session;
    bosh_request r;
    r.rid = *rid;
    r.payload = head.payload;
    r.terminate = body->attr_or("type", "") == "terminate";
    r.pause = body->attr("pause").has_value();
    r.restart = body->attr(ns_xbosh, "restart") == "true";
    if (auto sid = body->attr("sid")) {
        r.ack = number(body->attr("ack"), max_rid);
        session = find(std::string(*sid));
        // XEP-0124 §17.2: an unknown (or ended) session.
        if (!session) co_return answer(terminate_body("item-not-found"));
        if (session->secure() && !secure) {
            log::info("bosh", address, ": request for HTTPS session ", session->sid(),
                      " over plain HTTP; closing the connection");
            throw insecure_request("BOSH session " + session->sid() + " is HTTPS only");
        }
    } else {
        const auto& cfg = streams_.config;
        auto to = xml::nameprep_domain(body->attr_or("to", ""));
        if (!to || !streams_.router.is_local(*to)) co_return answer(terminate_body("host-unknown"));
        // XEP-0124 §7.1: the client's wishes, within our limits. wait or hold 0
        // asks for a polling session (§12).
        bosh_params p;
        p.from = *to;
        auto wait = number(body->attr("wait"), 3600).value_or(cfg.http.bosh_max_wait.count());
        p.wait = std::chrono::seconds(
            std::min<std::uint64_t>(wait, std::uint64_t(cfg.http.bosh_max_wait.count())));
        p.hold = unsigned(std::min<std::uint64_t>(number(body->attr("hold"), 100).value_or(1), 1));
        if (p.wait.count() == 0) p.hold = 0;
        p.inactivity = cfg.http.bosh_inactivity;
        // §12: a polling client waits 'polling' between requests; give it more.
        if (p.hold == 0) p.inactivity += 2 * p.polling;
        p.acks = body->attr_or("ack", "") == "1";
        p.secure = secure;
        auto new_id = new_sid();
        session = std::make_shared<bosh_session>(io.get_executor(), new_id, *rid, p,
                                                 cfg.limits.max_send_queue_bytes,
                                                 [this](const std::string& s) { forget(s); });
        {
            std::lock_guard lock(mu_);
            sessions_[new_id] = session;
        }
        log::debug("bosh", address, ": new session ", new_id, secure ? " (HTTPS)" : "");
        auto t = std::make_unique<bosh_transport>(session, address, secure);
        std::make_shared<c2s_session>(streams_, io, std::move(t))->start();
    }
    r.body = req.body();
    auto reply = std::make_shared<bosh_reply>(io.get_executor());
    asio::post(session->executor(), [session, r = std::move(r), reply]() mutable {
        session->handle(std::move(r), reply);
    });
    co_return answer(co_await reply->wait());
}

asio::awaitable<http_response> bosh_endpoint::oversized(const http_request& req,
                                                        std::string_view start,
                                                        asio::io_context& io, bool secure,
                                                        const std::string& address) {
    auto res = make_response(req, http::status::ok, "text/xml; charset=utf-8",
                             terminate_body("policy-violation"));
    add_cors(req, res);
    res.keep_alive(false);
    auto body = body_element(start).el;
    auto sid = body ? body->attr("sid") : std::nullopt;
    auto session = sid ? find(std::string(*sid)) : nullptr;
    log::info("bosh", address, ": request body over http.max_body_bytes (",
              streams_.config.http.max_body_bytes, ")",
              session ? "; ending session " + session->sid() : std::string());
    if (!session) co_return res;
    if (session->secure() && !secure)
        throw insecure_request("BOSH session " + session->sid() + " is HTTPS only");
    // XEP-0124 §11, §17.2: the session ends with policy-violation, and this
    // request's answer says so.
    auto rid = number(body->attr("rid"), max_rid).value_or(0);
    auto reply = std::make_shared<bosh_reply>(io.get_executor());
    asio::post(session->executor(),
               [session, rid, reply] { session->refuse(rid, "policy-violation", reply); });
    res.body() = co_await reply->wait();
    res.prepare_payload();
    co_return res;
}

}  // namespace server
