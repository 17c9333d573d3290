#include "bench/load/xmpp_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

#include "xml/base64.hpp"
#include "xml/namespaces.hpp"

namespace bench {
namespace {

namespace ns = xml::ns;
using asio::use_awaitable;

struct login_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string header(const std::string& domain) {
    return "<?xml version='1.0'?><stream:stream to='" + domain +
           "' version='1.0' xml:lang='en' xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams'>";
}

}  // namespace

xmpp_client::xmpp_client(asio::io_context& io, asio::ssl::context& tls, const client_options& opts,
                         scram_keys_cache& keys)
    : tls_ctx_(tls),
      opts_(opts),
      keys_(keys),
      channel_(std::make_shared<client_channel>(io)),
      deadline_(io) {}

void xmpp_client::new_parser() {
    elements_.clear();
    stream_open_ = false;
    parser_ = std::make_unique<xml::stream_parser>(xml::parser_events{
        .on_open = [this](const xml::element&) { stream_open_ = true; },
        .on_element = [this](xml::element_ptr el) { elements_.push_back(std::move(el)); },
        .on_close = [this] { parse_error_ = "server closed the stream"; },
        .on_error = [this](xml::parse_error, std::string d) { parse_error_ = "xml: " + d; }});
}

asio::awaitable<xml::element_ptr> xmpp_client::next_element() {
    while (elements_.empty()) {
        if (!parse_error_.empty()) throw login_error(parse_error_);
        parser_->feed(co_await channel_->read());
    }
    auto el = elements_.front();
    elements_.pop_front();
    if (el->ns() == ns::stream && el->local_name() == "error") {
        auto* cond = el->first_child_in(ns::streams);
        throw login_error("stream error: " + (cond ? cond->local_name() : std::string("?")));
    }
    co_return el;
}

// Sends a stream header and returns the <stream:features/> that follows it.
asio::awaitable<xml::element_ptr> xmpp_client::open_stream() {
    new_parser();
    send(header(opts_.domain));
    auto el = co_await next_element();
    if (el->ns() != ns::stream || el->local_name() != "features")
        throw login_error("expected stream features, got " + el->local_name());
    co_return el;
}

void xmpp_client::arm(std::chrono::milliseconds after) {
    deadline_.expires_after(after);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->abort();
    });
}

void xmpp_client::abort() {
    channel_->close();
}

// Connects from the chosen source address.
asio::awaitable<void> xmpp_client::open_socket(std::size_t source_index) {
    auto& sock = channel_->socket();
    sock.open(opts_.server.protocol());
    // Lets connect() pick the port per 4-tuple, so each source address has its
    // own port range (Linux IP_BIND_ADDRESS_NO_PORT).
    int one = 1;
    ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (!opts_.sources.empty())
        sock.bind(tcp::endpoint(opts_.sources[source_index % opts_.sources.size()], 0));
    co_await sock.async_connect(opts_.server, use_awaitable);
    sock.set_option(tcp::no_delay(true));
}

asio::awaitable<std::string> xmpp_client::connect_plain(std::size_t source_index) {
    try {
        arm(opts_.login_timeout);
        co_await open_socket(source_index);
        deadline_.cancel();
        co_return std::string();
    } catch (const std::exception& e) {
        deadline_.cancel();
        abort();
        co_return std::string(e.what());
    }
}

// Connects and negotiates TLS as configured; returns the features of the
// (secured) stream.
asio::awaitable<xml::element_ptr> xmpp_client::connect(std::size_t source_index) {
    co_await open_socket(source_index);

    if (opts_.tls == tls_mode::direct)
        co_await channel_->handshake(tls_ctx_.native_handle(), opts_.domain);
    auto features = co_await open_stream();
    if (opts_.tls == tls_mode::starttls) {
        if (!features->child(ns::tls, "starttls")) throw login_error("no STARTTLS offered");
        send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        auto proceed = co_await next_element();
        if (proceed->local_name() != "proceed") throw login_error("STARTTLS refused");
        co_await channel_->handshake(tls_ctx_.native_handle(), opts_.domain);
        features = co_await open_stream();
    }
    co_return features;
}

asio::awaitable<std::string> xmpp_client::register_account(std::string user,
                                                           std::size_t source_index) {
    try {
        arm(opts_.login_timeout);
        co_await connect(source_index);
        // XEP-0077 in-band registration; an account that exists already is fine.
        send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" + user +
             "</username><password>" + opts_.password + "</password></query></iq>");
        auto reply = co_await next_element();
        std::string outcome;
        if (reply->attr_or("type", "") != "result") {
            auto* err = reply->child(ns::client, "error");
            if (!err || !err->child(ns::stanzas, "conflict")) outcome = "registration refused";
        }
        close(std::chrono::milliseconds(2000));
        co_return outcome;
    } catch (const std::exception& e) {
        deadline_.cancel();
        abort();
        co_return std::string(e.what());
    }
}

asio::awaitable<std::string> xmpp_client::login(std::string user, std::string resource,
                                                std::size_t source_index) {
    try {
        arm(opts_.login_timeout);
        auto features = co_await connect(source_index);
        co_await authenticate(*features, user);
        features = co_await open_stream();

        send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
             resource + "</resource></bind></iq>");
        auto bound = co_await next_element();
        auto* bind = bound->child(ns::bind, "bind");
        auto* jid = bind ? bind->child(ns::bind, "jid") : nullptr;
        if (!jid) throw login_error("bind failed");
        jid_ = jid->text();
        // RFC 3921 session establishment, for servers that still ask for it.
        if (auto* s = features->child(ns::session, "session");
            s && !s->child(ns::session, "optional")) {
            send("<iq type='set' id='sess'><session xmlns='" + std::string(ns::session) +
                 "'/></iq>");
            co_await next_element();
        }
        if (opts_.initial_presence) send("<presence/>");
        send("<iq type='get' id='ping'><ping xmlns='urn:xmpp:ping'/></iq>");
        for (;;) {
            auto el = co_await next_element();
            if (el->local_name() == "iq" && el->attr_or("id", "") == "ping") break;
        }
        deadline_.cancel();
        parser_.reset();
        co_return std::string();
    } catch (const std::exception& e) {
        deadline_.cancel();
        abort();
        co_return std::string(e.what());
    }
}

asio::awaitable<void> xmpp_client::authenticate(const xml::element& features,
                                                const std::string& user) {
    const char* wanted = opts_.plain ? "PLAIN" : "SCRAM-SHA-1";
    bool offered = false;
    if (auto* mechs = features.child(ns::sasl, "mechanisms"))
        for (auto* m : mechs->children()) offered = offered || m->text() == wanted;
    if (!offered) throw login_error(std::string(wanted) + " not offered");

    auto auth = [&](const std::string& payload) {
        send(std::string("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='") + wanted +
             "'>" + xml::base64_encode(payload) + "</auth>");
    };
    if (opts_.plain) {
        auth(plain_initial_response(user, opts_.password));
    } else {
        scram_sha1_client scram(keys_, user, opts_.password);
        auth(scram.client_first());
        auto challenge = co_await next_element();
        if (challenge->local_name() != "challenge") throw login_error("SASL: no challenge");
        auto server_first = xml::base64_decode(challenge->text());
        auto final = server_first ? scram.client_final(*server_first) : std::nullopt;
        if (!final) throw login_error("SASL: bad server-first-message");
        send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + xml::base64_encode(*final) +
             "</response>");
        auto success = co_await next_element();
        if (success->local_name() != "success") throw login_error("SASL: " + success->local_name());
        auto server_final = xml::base64_decode(success->text());
        if (!server_final || !scram.verify_server_final(*server_final))
            throw login_error("SASL: server signature does not verify");
        co_return;
    }
    auto success = co_await next_element();
    if (success->local_name() != "success") throw login_error("SASL: " + success->local_name());
}

asio::awaitable<void> xmpp_client::read_loop() {
    try {
        if (on_element) {
            // The stream header went by during login: a stand-in opens the parser.
            new_parser();
            parser_->feed(
                "<stream:stream xmlns='jabber:client' "
                "xmlns:stream='http://etherx.jabber.org/streams'>");
        }
        for (;;) {
            auto bytes = co_await channel_->read();
            if (!on_element) {
                if (on_bytes) on_bytes(bytes);
                continue;
            }
            parser_->feed(bytes);
            while (!elements_.empty()) {
                auto el = std::move(elements_.front());
                elements_.pop_front();
                on_element(*el);
            }
            if (!parse_error_.empty()) break;
        }
    } catch (const std::exception&) {
        // EOF, reset or our own close(): the stream is over either way.
    }
    deadline_.cancel();
    abort();
}

void xmpp_client::send(std::string_view bytes) {
    channel_->write(bytes);
}

void xmpp_client::close(std::chrono::milliseconds grace) {
    send("</stream:stream>");
    arm(grace);
}

}  // namespace bench
