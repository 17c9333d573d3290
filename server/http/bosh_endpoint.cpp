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
// XEP-0124 §14.1: rid values stay below 2^53 so clients can count in doubles.
constexpr std::uint64_t max_rid = (1ull << 53) - 1;

// Only the <body> start tag: the elements inside are the session's to parse.
xml::element_ptr body_element(std::string_view text) {
    xml::element_ptr got;
    xml::stream_parser* self = nullptr;
    xml::parser_events ev;
    ev.on_open = [&](const xml::element& b) {
        got = std::make_shared<const xml::element>(b);
        self->stop();
    };
    ev.on_element = [](xml::element_ptr) {};
    ev.on_close = [] {};
    ev.on_error = [](xml::parse_error, std::string) {};
    xml::stream_parser parser(std::move(ev));
    self = &parser;
    parser.feed(text);
    if (!got || got->name() != xml::qname{std::string(ns_httpbind), "body"}) return nullptr;
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
    auto body = body_element(req.body());
    auto rid = body ? number(body->attr("rid"), max_rid) : std::nullopt;
    if (!body || !rid) co_return answer(terminate_body("bad-request"));

    std::shared_ptr<bosh_session> session;
    bosh_request r;
    r.rid = *rid;
    if (auto sid = body->attr("sid")) {
        r.ack = number(body->attr("ack"), max_rid);
        session = find(std::string(*sid));
        // XEP-0124 §17.2: an unknown (or ended) session.
        if (!session) co_return answer(terminate_body("item-not-found"));
    } else {
        const auto& cfg = streams_.config;
        auto to = xml::nameprep_domain(body->attr_or("to", ""));
        if (!to || !streams_.router.is_local(*to)) co_return answer(terminate_body("host-unknown"));
        // XEP-0124 §7.1: the client's wishes, within our limits.
        bosh_params p;
        p.from = *to;
        auto wait = number(body->attr("wait"), 3600).value_or(cfg.http.bosh_max_wait.count());
        p.wait = std::chrono::seconds(
            std::clamp<std::uint64_t>(wait, 1, std::uint64_t(cfg.http.bosh_max_wait.count())));
        p.hold = unsigned(std::min<std::uint64_t>(number(body->attr("hold"), 100).value_or(1), 1));
        p.inactivity = cfg.http.bosh_inactivity;
        p.report_acks = body->attr_or("ack", "") == "1";
        auto new_id = new_sid();
        session = std::make_shared<bosh_session>(io.get_executor(), new_id, *rid, p,
                                                 cfg.limits.max_send_queue_bytes,
                                                 [this](const std::string& s) { forget(s); });
        {
            std::lock_guard lock(mu_);
            sessions_[new_id] = session;
        }
        log::debug("bosh", address, ": new session ", new_id);
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

}  // namespace server
