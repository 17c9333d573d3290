#include "server/net/bosh_transport.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/log.hpp"
#include "xml/writer.hpp"

namespace server {

using asio::use_awaitable;

void bosh_reply::answer(std::string body) {
    asio::post(ready_.get_executor(),
               [self = shared_from_this(), body = std::move(body)]() mutable {
                   self->body_ = std::move(body);
                   self->ready_.cancel();
               });
}

asio::awaitable<std::string> bosh_reply::wait() {
    while (!body_) {
        boost::system::error_code ec;
        co_await ready_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    co_return std::move(*body_);
}

bosh_session::bosh_session(asio::any_io_executor ex, std::string sid, std::uint64_t first_rid,
                           bosh_params params, std::size_t max_pending_bytes,
                           std::function<void(const std::string&)> on_end)
    : ex_(ex),
      sid_(std::move(sid)),
      params_(std::move(params)),
      max_pending_bytes_(max_pending_bytes),
      on_end_(std::move(on_end)),
      next_rid_(first_rid),
      input_ready_(ex),
      inactivity_(ex) {}

void bosh_session::handle(bosh_request req, std::shared_ptr<bosh_reply> reply) {
    if (ended_) return reply->answer(response(req.rid, {}, true, "item-not-found"));
    stop_inactivity();
    // XEP-0124 §9.2: responses the client acknowledges need not be kept. A client
    // that uses acks leaves 'ack' out when it has every response so far.
    if (req.ack)
        sent_.erase(sent_.begin(), sent_.upper_bound(*req.ack));
    else if (params_.acks)
        sent_.erase(sent_.begin(), sent_.lower_bound(req.rid));
    // XEP-0124 §14.3: a request repeated (its response was lost) gets the same
    // response again.
    if (auto it = sent_.find(req.rid); it != sent_.end()) {
        reply->answer(it->second);
        if (held_.empty()) arm_inactivity();
        return;
    }
    if (req.rid < next_rid_) {
        // Still held: the client gave up on that connection; answer here instead.
        for (auto& h : held_)
            if (h.rid == req.rid) {
                h.reply->answer(response(req.rid, {}, false, {}));
                h.reply = std::move(reply);
                return;
            }
        // Too old to repeat, or acknowledged and forgotten.
        terminate("item-not-found");
        return reply->answer(response(req.rid, {}, true, "item-not-found"));
    }
    if (auto it = early_replies_.find(req.rid); it != early_replies_.end()) {
        // A repeat of one still waiting for a gap to fill: answer it on the new
        // connection.
        it->second->answer(response(req.rid, {}, false, {}));
        it->second = std::move(reply);
        early_[req.rid] = std::move(req);
        return;
    }
    // A new request. XEP-0124 §14.2: at most 'requests' (hold + 1) rids ahead of
    // the last one received; §11 lets a client add one more to pause or terminate.
    bool extra = req.terminate || req.pause;
    if (req.rid >= next_rid_ + params_.hold + 1 + (extra ? 1 : 0)) {
        log::info("bosh", sid_, ": rid ", req.rid, " outside the window, terminating");
        terminate("item-not-found");
        return reply->answer(response(req.rid, {}, true, "item-not-found"));
    }
    // Once the stream is over, whatever comes fetches its end.
    auto now = std::chrono::steady_clock::now();
    if (!closing_ && overactive(req, now)) {
        terminate("policy-violation");
        return reply->answer(response(req.rid, {}, true, "policy-violation"));
    }
    last_new_at_ = now;
    // The creation request is not a poll.
    last_new_empty_ = created_ && !req.payload && !req.restart && !extra;
    if (req.rid != next_rid_)
        log::debug("bosh", sid_, ": rid ", req.rid, " waits for rid ", next_rid_);
    early_replies_[req.rid] = std::move(reply);
    early_[req.rid] = std::move(req);
    take_in_order();
}

bool bosh_session::overactive(const bosh_request& req,
                              std::chrono::steady_clock::time_point now) const {
    const std::size_t requests = params_.hold + 1;
    // The requests the client has made and we have not answered: every rid from
    // the oldest one held to the highest received, including those that have not
    // arrived yet (the client sent them before the higher ones).
    std::uint64_t oldest = held_.empty() ? next_rid_ : held_.front().rid;
    std::uint64_t highest = std::max(req.rid, early_.empty() ? 0 : early_.rbegin()->first);
    const std::size_t unanswered = highest - oldest + 1;
    bool extra = req.terminate || req.pause;
    for (const auto& [rid, r] : early_) extra = extra || r.terminate || r.pause;
    const bool empty = !req.payload && !req.restart && !req.terminate && !req.pause;
    const bool soon = now - last_new_at_ < params_.polling;
    // XEP-0124 §11: more simultaneous requests than 'requests' (one more to pause
    // or terminate).
    if (unanswered > requests + (extra ? 1 : 0)) {
        log::info("bosh", sid_, ": ", unanswered, " simultaneous requests, 'requests' is ",
                  requests, "; terminating");
        return true;
    }
    // XEP-0124 §11: every allowed request is waiting, and the newest one, empty,
    // came sooner than 'polling' after the one before.
    if (params_.hold > 0 && unanswered == requests && empty && soon && req.rid == next_rid_ &&
        early_.empty()) {
        log::info("bosh", sid_, ": an empty request while ", requests - 1,
                  " wait, sooner than 'polling'; terminating");
        return true;
    }
    // XEP-0124 §12: a polling session's two consecutive empty requests sooner than
    // 'polling' apart, when the answer to the first had nothing in it.
    if (params_.hold == 0 && empty && last_new_empty_ && last_answer_empty_ && soon) {
        log::info("bosh", sid_, ": polling more often than every ", params_.polling.count(),
                  " s; terminating");
        return true;
    }
    return false;
}

void bosh_session::refuse(std::uint64_t rid, std::string_view condition,
                          std::shared_ptr<bosh_reply> reply) {
    if (ended_) return reply->answer(response(rid, {}, true, "item-not-found"));
    stop_inactivity();
    terminate(condition);
    reply->answer(response(rid, {}, true, condition));
}

void bosh_session::take_in_order() {
    // XEP-0124 §14.2: bodies are handled in rid order, whatever order they came in.
    bool got = false;
    while (!early_.empty() && early_.begin()->first == next_rid_) {
        auto req = std::move(early_.begin()->second);
        auto reply = std::move(early_replies_[next_rid_]);
        early_.erase(early_.begin());
        early_replies_.erase(next_rid_);
        inbox_.push_back(std::move(req.body));
        auto timer = std::make_unique<asio::steady_timer>(ex_, params_.wait);
        auto rid = next_rid_;
        log::debug("bosh", sid_, ": holding rid ", rid);
        timer->async_wait([weak = weak_from_this(), rid](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            // XEP-0124 §11: nothing to send within 'wait': an empty response.
            for (std::size_t i = 0; i < self->held_.size(); ++i)
                if (self->held_[i].rid == rid) {
                    while (i-- > 0) self->answer_oldest(false);
                    return self->answer_oldest(false);
                }
        });
        held_.push_back({rid, std::move(reply), std::move(timer)});
        ++next_rid_;
        got = true;
    }
    if (got) input_ready_.cancel();
    flush();
    // XEP-0124 §11: no more than 'hold' requests wait; the oldest are answered.
    while (held_.size() > params_.hold) answer_oldest(true);
    if (held_.empty() && !ended_) arm_inactivity();
}

void bosh_session::flush() {
    if (!held_.empty() && (!pending_.empty() || closing_)) answer_oldest(true);
}

void bosh_session::answer_oldest(bool with_data) {
    auto h = std::move(held_.front());
    held_.pop_front();
    h.timer->cancel();
    std::string payload;
    bool terminate = false;
    if (with_data || closing_) {
        payload.swap(pending_);
        terminate = closing_;
    }
    last_answer_empty_ = payload.empty();
    auto body = response(h.rid, std::move(payload), terminate, end_condition_);
    sent_[h.rid] = body;
    // Keep only as many as the client may still repeat.
    while (sent_.size() > params_.hold + 1) sent_.erase(sent_.begin());
    h.reply->answer(std::move(body));
    if (terminate) return end();
    if (held_.empty()) arm_inactivity();
}

std::string bosh_session::response(std::uint64_t rid, std::string payload, bool terminate,
                                   std::string_view condition) {
    std::string out = "<body xmlns='http://jabber.org/protocol/httpbind'";
    if (!created_ && !terminate) {
        // XEP-0124 §7.1, XEP-0206 §4: the session-creation response.
        created_ = true;
        out += " sid='" + sid_ + "' wait='" + std::to_string(params_.wait.count()) +
               "' requests='" + std::to_string(params_.hold + 1) + "' hold='" +
               std::to_string(params_.hold) + "' inactivity='" +
               std::to_string(params_.inactivity.count()) + "' polling='" +
               std::to_string(params_.polling.count()) + "' ver='1.11' from='" +
               xml::escape_attr(params_.from) +
               "' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'";
        // XEP-0124 §7.2, §9.1: acks in this session start with the creation
        // response, which acknowledges the creation request.
        if (params_.acks) out += " ack='" + std::to_string(rid) + "'";
    } else if (params_.acks && !terminate && rid + 1 < next_rid_) {
        // XEP-0124 §9.1: the highest rid received with every one below it, when
        // that is not the rid this answers.
        out += " ack='" + std::to_string(next_rid_ - 1) + "'";
    }
    out += " xmlns:stream='http://etherx.jabber.org/streams'";
    if (terminate) {
        out += " type='terminate'";
        if (!condition.empty()) out += " condition='" + std::string(condition) + "'";
    }
    if (payload.empty()) return out + "/>";
    return out + ">" + payload + "</body>";
}

asio::awaitable<std::string_view> bosh_session::read() {
    while (inbox_.empty()) {
        if (ended_ || closing_) throw std::runtime_error("BOSH session " + sid_ + " ended");
        boost::system::error_code ec;
        input_ready_.expires_at(asio::steady_timer::time_point::max());
        co_await input_ready_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    reading_ = std::move(inbox_.front());
    inbox_.pop_front();
    co_return std::string_view(reading_);
}

void bosh_session::write(const output_units& out) {
    if (ended_) return;
    if (out.bytes.find("<stream:error") != std::string::npos) stream_error_ = true;
    pending_ += out.bytes;
    if (pending_.size() > max_pending_bytes_) {
        // A client that stops fetching must not make us hold its stanzas forever.
        log::warn("bosh", sid_, ": more than ", max_pending_bytes_, " bytes unfetched");
        pending_.clear();
        return terminate("policy-violation");
    }
    // A stream error is the stream's last word: close() follows at once, and the
    // error goes out in the same response as the terminate (XEP-0206 §6).
    if (!stream_error_) flush();
}

void bosh_session::terminate(std::string_view condition) {
    if (ended_) return;
    if (!closing_) {
        closing_ = true;
        end_condition_ = condition;
    }
    input_ready_.cancel();
    while (!held_.empty()) answer_oldest(true);
    end();
}

void bosh_session::close() {
    // The stream is over (XEP-0206 §6): the next answer says terminate, with
    // remote-stream-error when a stream error is in it.
    if (closing_) return;
    closing_ = true;
    if (stream_error_) end_condition_ = "remote-stream-error";
    input_ready_.cancel();
    flush();
    // With no request to answer now, the client may still come and fetch the
    // end within the inactivity period (the timer keeps this session until then);
    // then we forget the session.
    if (!ended_ && held_.empty()) arm_inactivity();
}

void bosh_session::arm_inactivity() {
    auto generation = ++inactivity_generation_;
    inactivity_.expires_after(params_.inactivity);
    // Once the stream is over, nothing else owns this session: the pending wait
    // does, until it fires or the next request stops it.
    auto keep = closing_ ? shared_from_this() : nullptr;
    inactivity_.async_wait([weak = weak_from_this(), keep = std::move(keep),
                            generation](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || generation != self->inactivity_generation_ || !self->held_.empty() ||
            self->ended_)
            return;
        // XEP-0124 §10: no request within 'inactivity' seconds ends the session.
        if (self->closing_)
            log::debug("bosh", self->sid_, ": the end of the stream was not fetched within ",
                       self->params_.inactivity.count(), " s; forgetting the session");
        else
            log::info("bosh", self->sid_, ": inactive for ", self->params_.inactivity.count(),
                      " s, ending the session");
        self->closing_ = true;
        self->end();
    });
}

void bosh_session::stop_inactivity() {
    ++inactivity_generation_;
    inactivity_.cancel();
}

void bosh_session::end() {
    if (ended_) return;
    ended_ = true;
    closing_ = true;
    stop_inactivity();
    input_ready_.cancel();
    while (!held_.empty()) answer_oldest(true);
    early_.clear();
    for (auto& [rid, reply] : early_replies_)
        reply->answer(response(rid, {}, true, "item-not-found"));
    early_replies_.clear();
    if (on_end_) on_end_(sid_);
}

}  // namespace server
