// One client connection: input from the transport goes through the stream framing
// (RFC 6120 over TCP, RFC 7395 over WebSocket) into the RFC 6120 state machine,
// and accepted stanzas go to the router. The transport is a layer below: every
// transport gets this one session.
// A session lives on one io_context thread; other threads reach it only through
// the endpoint interface, which posts to that thread.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sasl/authenticator.hpp"
#include "server/net/transport.hpp"
#include "server/router/endpoint.hpp"
#include "server/stream/framing.hpp"
#include "server/stream/stream_context.hpp"
#include "server/stream/write_batch.hpp"
#include "xml/jid.hpp"
#include "xml/stream_parser.hpp"

namespace server {

enum class stream_state {
    wait_for_stream,  // expecting a stream header (initially and after each restart)
    negotiating,      // header received: STARTTLS / SASL / bind as the features said
    established,      // resource bound: stanzas flow
    closing,          // </stream:stream> or a stream error sent; no more input handled
};

class c2s_session final : public endpoint,
                          private batched_writer,
                          public std::enable_shared_from_this<c2s_session> {
  public:
    c2s_session(stream_context& ctx, asio::io_context& io, std::unique_ptr<transport> t);
    ~c2s_session() override;

    void start();

    // endpoint (any thread)
    void deliver(std::shared_ptr<const std::string> bytes) override;
    void kick(xml::stream_condition condition, std::string text) override;

    const xml::jid& bound_jid() const { return jid_; }
    std::string remote_address() const { return transport_->remote_address(); }

  private:
    struct open_event {
        std::shared_ptr<const xml::element> header;
    };
    struct close_event {};
    struct error_event {
        xml::parse_error err;
        std::string detail;
    };
    using parser_event = std::variant<open_event, xml::element_ptr, close_event, error_event>;

    // c2s_session.cpp: lifecycle, reading, writing, timeouts
    asio::awaitable<void> run();
    bool must_negotiate(const parser_event& ev) const;
    void process(parser_event& ev);
    xml::parser_events parser_callbacks();
    void queue(const xml::element& el);
    void queue_header(const xml::stream_header& h);
    void queue_footer();
    void queue_element(std::string_view bytes);
    bool make_room(std::size_t bytes);
    void start_writer();
    void write_now() override;  // batched_writer
    // `flush_rest`: the transport holds part of a write try_write() began.
    asio::awaitable<void> writer(bool flush_rest);
    void write_failed(const std::exception& e);
    asio::awaitable<void> flush();
    void fail(xml::stream_condition condition, std::string text = {});
    void close_stream();
    void begin_closing();
    asio::awaitable<void> close_after_flush();
    void arm_deadline();
    std::chrono::steady_clock::time_point deadline() const;
    std::chrono::steady_clock::time_point next_wake() const;
    void on_deadline();
    void release_idle();
    void finish();

    // c2s_negotiation.cpp: RFC 6120 §4-7
    void on_stream_open(const xml::element& header);
    void send_features();
    asio::awaitable<void> negotiate(const xml::element_ptr& el);
    asio::awaitable<void> start_tls();
    asio::awaitable<void> sasl_auth(const xml::element& auth);
    asio::awaitable<void> sasl_response(const xml::element& response);
    asio::awaitable<void> sasl_outcome(const sasl::step_result& r);
    void sasl_failure(std::string_view condition, std::string_view text = {});
    void bind_resource(const xml::element_ptr& iq);
    sasl::exchange& sasl_exchange();

    // c2s_stanzas.cpp: RFC 6120 §8, RFC 6121 presence bookkeeping
    void handle_stanza(xml::element_ptr el);
    void track_own_presence(const xml::element_ptr& stamped);
    void stanza_error(const xml::element_ptr& el, xml::error_condition c, std::string text = {});

    stream_context& ctx_;
    asio::io_context& io_;
    std::unique_ptr<transport> transport_;
    std::unique_ptr<framing> framing_;
    // Events of one read, handled in order (a vector: an empty std::deque still
    // holds a 512-byte block, and idle sessions are many).
    std::vector<parser_event> inbox_;
    stream_state state_ = stream_state::wait_for_stream;
    bool header_sent_ = false;
    bool authenticated_ = false;
    bool available_ = false;
    bool finished_ = false;

    std::string host_;      // the served domain this stream is for
    std::string user_;      // authenticated localpart
    xml::jid jid_;          // bound full JID
    std::string jid_text_;  // jid_.str(), stamped on every stanza
    std::string stream_id_;
    std::unique_ptr<sasl::exchange> sasl_;
    unsigned sasl_failures_ = 0;

    output_units outbuf_;    // queued units, written in one go (coalesced)
    output_units inflight_;  // units being written
    bool writing_ = false;
    asio::steady_timer write_done_;

    std::chrono::steady_clock::time_point connected_at_;
    std::chrono::steady_clock::time_point closing_at_;
    std::chrono::steady_clock::time_point last_read_;
    // The deadline timer also wakes parser_release_delay after the last read, to
    // release the parser and buffers of a quiet session; set again by the next read.
    bool release_pending_ = false;
    asio::steady_timer deadline_;
};

}  // namespace server
