// Lifecycle of a client connection: the read loop, the coalescing write queue,
// deadlines, and an orderly end however the connection goes away.
#include "server/stream/c2s_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/log.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"
#include "xml/writer.hpp"

#include <boost/asio/post.hpp>

namespace server {

using asio::use_awaitable;

namespace {
xml::parser_limits limits_from(const config& cfg) {
    xml::parser_limits l;
    l.max_stanza_bytes = cfg.limits.max_stanza_bytes;
    l.max_depth = cfg.limits.max_depth;
    l.max_attributes = cfg.limits.max_attributes;
    return l;
}

// How long a closing stream may take to write its last bytes.
constexpr auto close_grace = std::chrono::seconds(5);

// How long an established stream must be quiet before its parser (≈ 11 KiB of
// expat state), output buffers and record ciphers are freed. Building them
// again costs about as much CPU as one more routed message (≈ 34,000
// instructions, 3 µs), so a stream pays it at most once per delay, and a busy one
// never does. Two seconds outlast a client's burst of requests after login
// (roster, carbons, archive), and leave the sessions of a wave of logins small
// soon after the wave, while the memory they free is reused by the next ones.
constexpr auto parser_release_delay = std::chrono::seconds(2);

xml::stream_condition condition_for(xml::parse_error e) {
    switch (e) {
        case xml::parse_error::restricted_xml:
            return xml::stream_condition::restricted_xml;
        case xml::parse_error::policy_violation:
            return xml::stream_condition::policy_violation;
        case xml::parse_error::unsupported_encoding:
            return xml::stream_condition::unsupported_encoding;
        case xml::parse_error::not_well_formed:
            break;
    }
    return xml::stream_condition::not_well_formed;
}
}  // namespace

c2s_session::c2s_session(stream_context& ctx, asio::io_context& io, std::unique_ptr<transport> t)
    : ctx_(ctx),
      io_(io),
      transport_(std::move(t)),
      framing_(make_framing(transport_->framing(), parser_callbacks(), limits_from(ctx.config))),
      write_done_(io),
      deadline_(io) {}

c2s_session::~c2s_session() = default;

xml::parser_events c2s_session::parser_callbacks() {
    // The parser calls back synchronously from feed(); events are queued and
    // handled by the read loop, which may suspend (SASL runs on a storage thread).
    xml::parser_events ev;
    ev.on_open = [this](const xml::element& h) {
        inbox_.emplace_back(open_event{std::make_shared<const xml::element>(h)});
    };
    ev.on_element = [this](xml::element_ptr el) { inbox_.emplace_back(std::move(el)); };
    ev.on_close = [this] { inbox_.emplace_back(close_event{}); };
    ev.on_error = [this](xml::parse_error e, std::string detail) {
        inbox_.emplace_back(error_event{e, std::move(detail)});
    };
    return ev;
}

void c2s_session::start() {
    ctx_.on_session_start(shared_from_this());
    connected_at_ = last_read_ = std::chrono::steady_clock::now();
    arm_deadline();
    asio::co_spawn(
        io_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

asio::awaitable<void> c2s_session::run() {
    try {
        co_await transport_->open();
        while (state_ != stream_state::closing) {
            auto input = co_await transport_->read();
            last_read_ = std::chrono::steady_clock::now();
            framing_->feed(input);
            // process() may clear the rest (pipelined input after <starttls/>).
            for (std::size_t i = 0; i < inbox_.size() && state_ != stream_state::closing;) {
                if (must_negotiate(inbox_[i])) {
                    auto el = std::get<xml::element_ptr>(std::move(inbox_[i++]));
                    co_await negotiate(el);  // may suspend: outside any write batch
                    continue;
                }
                write_batch batch;  // nothing in this block suspends
                for (; i < inbox_.size() && state_ != stream_state::closing &&
                       !must_negotiate(inbox_[i]);
                     ++i) {
                    auto ev = std::move(inbox_[i]);
                    process(ev);
                }
            }
            inbox_.clear();
            // A quiet stream releases its parser later: the deadline timer wakes
            // for it (set once per quiet spell, not on every read).
            if (!release_pending_ && state_ == stream_state::established) {
                release_pending_ = true;
                arm_deadline();
            }
        }
        // Closing: close_after_flush() ends the connection once the last bytes
        // (a stream error, our closing tag) are written.
        co_return;
    } catch (const std::exception& e) {
        log::debug("c2s", remote_address(), ": connection ended: ", e.what());
    }
    finish();
}

bool c2s_session::must_negotiate(const parser_event& ev) const {
    return state_ != stream_state::established && std::holds_alternative<xml::element_ptr>(ev);
}

void c2s_session::process(parser_event& ev) {
    if (auto* open = std::get_if<open_event>(&ev)) {
        on_stream_open(*open->header);
    } else if (auto* el = std::get_if<xml::element_ptr>(&ev)) {
        handle_stanza(std::move(*el));  // the only reference: stamped in place
    } else if (std::holds_alternative<close_event>(ev)) {
        close_stream();
    } else if (auto* err = std::get_if<error_event>(&ev)) {
        log::info("c2s", remote_address(), ": bad XML: ", err->detail);
        fail(condition_for(err->err), err->detail);
    }
}

bool c2s_session::make_room(std::size_t bytes) {
    if (outbuf_.bytes.size() + bytes > ctx_.config.limits.max_send_queue_bytes &&
        state_ != stream_state::closing) {
        // A reader this slow would hold memory without bound (DESIGN: back-pressure).
        log::warn("c2s", jid_.str(), ": send queue over ", ctx_.config.limits.max_send_queue_bytes,
                  " bytes, closing");
        outbuf_.clear();
        fail(xml::stream_condition::resource_constraint, "send queue full");
        return false;
    }
    return true;
}

void c2s_session::queue_element(std::string_view bytes) {
    if (!make_room(bytes.size())) return;
    framing_->element(bytes, outbuf_);
    start_writer();
}

void c2s_session::queue(const xml::element& el) {
    queue_element(xml::to_string(el, xml::ns::client));
}

void c2s_session::queue_header(const xml::stream_header& h) {
    framing_->header(h, outbuf_);
    start_writer();
}

void c2s_session::queue_footer() {
    framing_->footer(outbuf_);
    start_writer();
}

void c2s_session::start_writer() {
    if (writing_) return;
    writing_ = true;
    // Not written at once: whatever else the same read queues for the session
    // leaves in the same write. Within a read's stanzas that is the end of them
    // (write_batch.hpp says why); otherwise, this turn of the I/O thread.
    // (The aliasing constructor: batched_writer is a private base.)
    if (write_batch::join({shared_from_this(), static_cast<batched_writer*>(this)})) return;
    asio::post(io_, [self = shared_from_this()] { self->write_now(); });
}

void c2s_session::write_now() {
    // Most writes fit in the socket at once: no coroutine for those. Only a
    // socket that pushes back (or a transport that cannot try) gets the writer.
    auto r = transport::try_result::taken;  // with nothing queued, nothing to send
    if (!outbuf_.empty()) {
        try {
            r = transport_->try_write(outbuf_);
        } catch (const std::exception& e) {
            return write_failed(e);
        }
    }
    if (r != transport::try_result::not_taken) outbuf_.clear();
    if (r == transport::try_result::taken) {
        // Idle sessions should not keep a large buffer from one burst.
        if (outbuf_.bytes.capacity() > 16384) output_units().swap(outbuf_);
        writing_ = false;
        write_done_.cancel();
        return;
    }
    // Taken in part: the writer first sends what the transport kept.
    bool flush_rest = r == transport::try_result::taken_in_part;
    asio::co_spawn(
        io_, [self = shared_from_this(), flush_rest] { return self->writer(flush_rest); },
        asio::detached);
}

void c2s_session::write_failed(const std::exception& e) {
    log::debug("c2s", remote_address(), ": write failed: ", e.what());
    outbuf_.clear();
    transport_->close();
    writing_ = false;
    write_done_.cancel();
}

asio::awaitable<void> c2s_session::writer(bool flush_rest) {
    // Everything queued while a write is in flight leaves in the next single write.
    try {
        // What try_write() kept goes first (an empty write sends just that).
        if (flush_rest) co_await transport_->write(inflight_);
        while (!outbuf_.empty()) {
            inflight_.swap(outbuf_);
            co_await transport_->write(inflight_);
            inflight_.clear();
        }
    } catch (const std::exception& e) {
        inflight_.clear();
        write_failed(e);
        co_return;
    }
    // Idle sessions should not keep a large buffer from one burst.
    if (inflight_.bytes.capacity() > 16384) output_units().swap(inflight_);
    writing_ = false;
    write_done_.cancel();
}

asio::awaitable<void> c2s_session::flush() {
    while (writing_) {
        boost::system::error_code ec;
        write_done_.expires_at(asio::steady_timer::time_point::max());
        co_await write_done_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

void c2s_session::fail(xml::stream_condition condition, std::string text) {
    if (state_ == stream_state::closing) return;
    log::info("c2s", jid_.empty() ? remote_address() : jid_.str(), ": stream error <",
              xml::to_string(condition), "/>", text.empty() ? "" : ": ", text);
    // RFC 6120 §4.9.1.1: a stream error is sent inside a stream, so open one first
    // if the peer's header never got an answer.
    if (!header_sent_) {
        xml::stream_header h;
        h.from = host_.empty() ? ctx_.config.hosts.front() : host_;
        queue_header(h);
        header_sent_ = true;
    }
    queue(*xml::stream_error_element(condition, text));
    queue_footer();
    begin_closing();
}

void c2s_session::close_stream() {
    // RFC 6120 §4.4: answer the peer's closing tag with ours, then close.
    if (state_ == stream_state::closing) return;
    if (!header_sent_) {
        xml::stream_header h;
        h.from = host_.empty() ? ctx_.config.hosts.front() : host_;
        queue_header(h);
        header_sent_ = true;
    }
    queue_footer();
    begin_closing();
}

void c2s_session::begin_closing() {
    state_ = stream_state::closing;
    closing_at_ = std::chrono::steady_clock::now();
    framing_->stop();
    deadline_.cancel();
    arm_deadline();
    asio::co_spawn(
        io_, [self = shared_from_this()] { return self->close_after_flush(); }, asio::detached);
}

asio::awaitable<void> c2s_session::close_after_flush() {
    co_await flush();
    transport_->close();
    finish();
}

void c2s_session::kick(xml::stream_condition condition, std::string text) {
    asio::dispatch(io_, [self = shared_from_this(), condition, text = std::move(text)]() mutable {
        self->fail(condition, std::move(text));
    });
}

void c2s_session::deliver(std::shared_ptr<const std::string> bytes) {
    asio::dispatch(io_, [self = shared_from_this(), bytes = std::move(bytes)] {
        if (self->state_ != stream_state::closing) self->queue_element(*bytes);
    });
}

void c2s_session::arm_deadline() {
    deadline_.expires_at(next_wake());
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->on_deadline();
    });
}

std::chrono::steady_clock::time_point c2s_session::deadline() const {
    // Closing: a peer that stops reading must not hold the connection open.
    if (state_ == stream_state::closing) return closing_at_ + close_grace;
    // Until bound, the whole handshake must finish in time from the connect, so a
    // client trickling bytes cannot hold a half-open stream; afterwards only
    // silence counts (whitespace keepalives are reads too).
    if (state_ != stream_state::established)
        return connected_at_ + ctx_.config.limits.handshake_timeout;
    return std::max(last_read_, transport_->last_activity()) + ctx_.config.limits.idle_timeout;
}

std::chrono::steady_clock::time_point c2s_session::next_wake() const {
    auto at = deadline();
    if (release_pending_ && state_ == stream_state::established)
        at = std::min(at, last_read_ + parser_release_delay);
    return at;
}

void c2s_session::on_deadline() {
    if (finished_) return;
    auto now = std::chrono::steady_clock::now();
    if (state_ == stream_state::closing) {
        if (now < deadline()) return arm_deadline();
        log::debug("c2s", remote_address(), ": peer did not read the end of the stream; closing");
        return transport_->close();  // fails the pending write; close_after_flush finishes
    }
    if (now >= deadline()) {
        log::info("c2s", remote_address(), ": ",
                  state_ == stream_state::established ? "idle" : "handshake", " timeout");
        return fail(xml::stream_condition::connection_timeout);
    }
    if (release_pending_ && state_ == stream_state::established &&
        now >= last_read_ + parser_release_delay) {
        // Tried once per quiet spell: a stream that stopped mid-element keeps its
        // parser until more input comes.
        release_pending_ = false;
        release_idle();
    }
    arm_deadline();
}

void c2s_session::release_idle() {
    bool parser_released = framing_->release();
    transport_->release_idle();
    log::debug("c2s", jid_.str(), ": quiet; released ", parser_released ? "the parser and " : "",
               "buffers");
    if (inbox_.empty()) std::vector<parser_event>().swap(inbox_);
    // The queues are empty whenever no write is in flight; their capacity is
    // whatever the last burst needed.
    if (!writing_) {
        output_units().swap(outbuf_);
        output_units().swap(inflight_);
    }
}

void c2s_session::finish() {
    if (finished_) return;
    finished_ = true;
    state_ = stream_state::closing;
    deadline_.cancel();
    transport_->close();
    if (!jid_.empty()) {
        bool was_available = ctx_.router.sessions().unbind(jid_, this);
        if (was_available) {
            // RFC 6121 §4.5.2: the server broadcasts unavailable presence for a
            // session that ends without sending it.
            auto p = xml::builder(xml::ns::client, "presence")
                         .attr("type", "unavailable")
                         .attr("from", jid_.str())
                         .done();
            // Sent on the client's behalf: contacts and directed-presence
            // receivers must learn it too, as if the client had sent it.
            ctx_.router.route(routed_stanza{p, jid_, {}, origin::client});
        }
        session_closed ev{jid_, was_available};
        ctx_.events.fire(ev);
        log::info("c2s", jid_.str(), " disconnected");
    }
    ctx_.on_session_end(this);
}

}  // namespace server
