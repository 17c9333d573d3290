// BOSH (XEP-0124) as a transport for XMPP (XEP-0206). A BOSH session is not a
// connection: it is a series of HTTP requests, numbered by 'rid', that may come
// on any connection and any I/O thread. bosh_session keeps the state on the
// c2s session's own executor: the rid window and its reordering, the requests
// held open until there is something to send (at most 'hold', each for at most
// 'wait' seconds), the responses kept for retransmission until acknowledged, the
// overactivity rules, and the inactivity timer that ends a session whose client
// went away. When the stream ends while no request is held, the session stays
// (its timer holds it) until the client's next request fetches the final
// response, or until 'inactivity' passes. No thread waits for anything: a held
// request is a stored reply and a timer.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/net/transport.hpp"

namespace server {

// Where the answer to one HTTP request goes. answer() may be called from any
// thread; the waiting HTTP connection is woken on its own executor.
class bosh_reply : public std::enable_shared_from_this<bosh_reply> {
  public:
    explicit bosh_reply(asio::any_io_executor ex) : ready_(ex) {
        ready_.expires_at(asio::steady_timer::time_point::max());
    }
    void answer(std::string body);
    // Suspends until answer() ran; returns the body.
    asio::awaitable<std::string> wait();

  private:
    asio::steady_timer ready_;
    std::optional<std::string> body_;
};

struct bosh_params {
    std::chrono::seconds wait{60};        // longest a request is held
    unsigned hold = 1;                    // requests held at once
    std::chrono::seconds inactivity{60};  // longest time with no request held
    std::chrono::seconds polling{2};      // shortest interval between empty polls
    std::string from;                     // the host the client asked for
    // The client sent ack='1' (XEP-0124 §9): its requests acknowledge responses
    // (no 'ack' = all received), and ours say which requests arrived.
    bool acks = false;
    bool secure = false;  // created over HTTPS: only HTTPS may continue it
};

// One request body's attributes, as the HTTP side read them.
struct bosh_request {
    std::uint64_t rid = 0;
    std::optional<std::uint64_t> ack;
    bool payload = false;    // it has child elements
    bool terminate = false;  // type='terminate'
    bool pause = false;      // a 'pause' attribute
    bool restart = false;    // xmpp:restart='true' (XEP-0206 §5)
    std::string body;        // the whole <body/>, for the stream framing
};

class bosh_session : public std::enable_shared_from_this<bosh_session> {
  public:
    bosh_session(asio::any_io_executor ex, std::string sid, std::uint64_t first_rid,
                 bosh_params params, std::size_t max_pending_bytes,
                 std::function<void(const std::string& sid)> on_end);

    const std::string& sid() const { return sid_; }
    asio::any_io_executor executor() const { return ex_; }
    // Immutable, so any thread may ask.
    bool secure() const { return params_.secure; }

    // On executor(): a request for this session.
    void handle(bosh_request req, std::shared_ptr<bosh_reply> reply);
    // On executor(): a request for this session that broke the rules before it
    // could be read (a body over the size limit): the session ends with `condition`.
    void refuse(std::uint64_t rid, std::string_view condition, std::shared_ptr<bosh_reply> reply);

    // For the transport (on executor()).
    asio::awaitable<std::string_view> read();
    void write(const output_units& out);
    void close();

  private:
    struct held {
        std::uint64_t rid;
        std::shared_ptr<bosh_reply> reply;
        std::unique_ptr<asio::steady_timer> timer;
    };

    void terminate(std::string_view condition);
    bool overactive(const bosh_request& req, std::chrono::steady_clock::time_point now) const;
    void take_in_order();
    void flush();
    void answer_oldest(bool with_data);
    std::string response(std::uint64_t rid, std::string payload, bool terminate,
                         std::string_view condition);
    void arm_inactivity();
    void stop_inactivity();
    void end();

    asio::any_io_executor ex_;
    std::string sid_;
    bosh_params params_;
    std::size_t max_pending_bytes_;
    std::function<void(const std::string&)> on_end_;

    std::uint64_t next_rid_;  // the next rid to take in order
    std::uint64_t highest_answered_ = 0;
    std::map<std::uint64_t, bosh_request> early_;  // arrived ahead of a gap
    std::map<std::uint64_t, std::shared_ptr<bosh_reply>> early_replies_;
    std::deque<held> held_;                      // oldest first
    std::map<std::uint64_t, std::string> sent_;  // rid -> response, until acknowledged
    bool created_ = false;                       // the creation response went out

    // For the overactivity rules (XEP-0124 §11, §12): the last new request (by
    // arrival), and whether the last response carried payloads.
    std::chrono::steady_clock::time_point last_new_at_{};
    bool last_new_empty_ = false;
    bool last_answer_empty_ = false;

    std::deque<std::string> inbox_;  // bodies for read(), in rid order
    std::string reading_;            // the body read() returned last
    asio::steady_timer input_ready_;

    std::string pending_;  // output for the next response
    bool stream_error_ = false;
    bool closing_ = false;  // the stream is over: the next answer says terminate
    bool ended_ = false;    // nothing more: requests get item-not-found
    std::string end_condition_;
    asio::steady_timer inactivity_;
    // Bumped whenever the inactivity timer is re-armed or stopped: a handler that
    // was already queued when that happened sees an old number and does nothing.
    std::uint64_t inactivity_generation_ = 0;
};

class bosh_transport final : public transport {
  public:
    bosh_transport(std::shared_ptr<bosh_session> s, std::string remote_address, bool secure)
        : session_(std::move(s)), address_(std::move(remote_address)), secure_(secure) {}
    ~bosh_transport() override { session_->close(); }

    framing_kind framing() const override { return framing_kind::body; }
    asio::awaitable<void> open() override { co_return; }
    asio::awaitable<std::string_view> read() override { return session_->read(); }
    asio::awaitable<void> write(const output_units& out) override {
        session_->write(out);
        co_return;
    }
    bool can_start_tls() const override { return false; }
    asio::awaitable<void> start_tls() override { co_return; }
    bool is_secure() const override { return secure_; }
    // Each request may come on another TLS connection: nothing to bind to.
    std::vector<sasl::channel_binding> channel_bindings() const override { return {}; }
    std::string remote_address() const override { return address_; }
    void close() override { session_->close(); }

  private:
    std::shared_ptr<bosh_session> session_;
    std::string address_;
    bool secure_;
};

}  // namespace server
