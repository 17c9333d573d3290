// relay: the trivial server the floor scenario measures against. Plain TCP,
// non-blocking sockets with TCP_NODELAY, one thread, one epoll loop, no Asio, no
// TLS, no XML: connections are paired in accept order (0 with 1, 2 with 3, ...)
// and whatever one of a pair sends is written to the other. Bytes the socket does
// not take at once wait in a buffer until EPOLLOUT; a connection whose peer has
// too much waiting is not read until the peer drains. A pair ends when either
// side ends (after what was already read for the other is written).
//
// Prints {"listening":PORT} once bound, then runs until SIGTERM or SIGINT, or
// for --duration seconds so a forgotten one does not linger.
#include "bench/load/scenario.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {
namespace {

constexpr std::uint64_t listener_tag = ~std::uint64_t(0);
constexpr std::uint64_t signal_tag = listener_tag - 1;
// Past this much waiting for a connection, its peer is not read.
constexpr std::size_t backlog_bytes = 4 << 20;

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

class relay {
  public:
    explicit relay(const tcp::endpoint& at);
    ~relay();
    unsigned short port() const;
    // Runs until a signal or `seconds`; returns why it stopped.
    const char* run(double seconds);

    std::size_t accepted = 0;
    unsigned long long relayed_bytes = 0;

  private:
    struct connection {
        int fd = -1;               // -1: not accepted yet (or closed)
        bool ended = false;        // read side over: EOF, error, or the peer ended
        std::string out;           // bytes for this connection, from its peer
        std::size_t out_off = 0;   // how much of `out` is written already
        bool watched = false;      // in the epoll set
        std::uint32_t events = 0;  // what epoll watches for
    };

    void accept_all();
    void on_readable(std::size_t i);
    void deliver(std::size_t to, const char* data, std::size_t n);
    void flush(std::size_t i);
    void end(std::size_t i);
    void update(std::size_t i);
    std::size_t waiting(std::size_t i) const { return conns_[i].out.size() - conns_[i].out_off; }

    int listen_fd_ = -1, epoll_fd_ = -1, signal_fd_ = -1;
    std::vector<connection> conns_;  // in accept order; a pair is 2k and 2k+1
    std::vector<char> buf_ = std::vector<char>(64 * 1024);
};

relay::relay(const tcp::endpoint& at) {
    // Signals arrive through the epoll loop, never in the middle of a write.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) fail("sigprocmask");
    signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) fail("signalfd");
    ::signal(SIGPIPE, SIG_IGN);

    listen_fd_ = ::socket(at.data()->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) fail("socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, at.data(), socklen_t(at.size())) != 0) fail("bind");
    if (::listen(listen_fd_, 4096) != 0) fail("listen");

    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) fail("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listener_tag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) fail("epoll_ctl");
    ev.data.u64 = signal_tag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd_, &ev) != 0) fail("epoll_ctl");
}

relay::~relay() {
    for (auto& c : conns_)
        if (c.fd >= 0) ::close(c.fd);
    for (int fd : {listen_fd_, epoll_fd_, signal_fd_})
        if (fd >= 0) ::close(fd);
}

unsigned short relay::port() const {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) fail("getsockname");
    if (sa.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6&>(sa).sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in&>(sa).sin_port);
}

const char* relay::run(double seconds) {
    auto end_at = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(seconds));
    epoll_event events[256];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        end_at - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) return "duration";
        int n = epoll_wait(epoll_fd_, events, 256, int(std::min<long long>(left, 1000)));
        if (n < 0 && errno != EINTR) fail("epoll_wait");
        for (int e = 0; e < n; ++e) {
            auto tag = events[e].data.u64;
            if (tag == signal_tag) return "signal";
            if (tag == listener_tag) {
                accept_all();
                continue;
            }
            auto i = std::size_t(tag);
            auto ev = events[e].events;
            // Errors and hang-ups show up as a failed or empty read.
            if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(i);
            if (conns_[i].fd < 0) continue;
            if (ev & EPOLLOUT)
                flush(i);
            else if (ev & (EPOLLERR | EPOLLHUP) && conns_[i].ended)
                end(i);  // was only waiting to write, and cannot
        }
    }
}

void relay::accept_all() {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            if (errno == ECONNABORTED) continue;
            fail("accept4");
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto i = accepted++;
        // The peer's slot exists from now on, so bytes for it can wait there.
        if (conns_.size() < (i | 1) + 1) conns_.resize((i | 1) + 1);
        conns_[i].fd = fd;
        update(i);
        // What the peer sent before this one was accepted; if the peer is gone
        // already, this one closes once that is written.
        flush(i);
    }
}

void relay::on_readable(std::size_t i) {
    auto& c = conns_[i];
    if (c.ended) return;
    ssize_t n = ::recv(c.fd, buf_.data(), buf_.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        end(i);
        return;
    }
    relayed_bytes += std::size_t(n);
    deliver(i ^ 1, buf_.data(), std::size_t(n));
}

// Writes at once what the socket takes; keeps the rest, in order, for EPOLLOUT.
void relay::deliver(std::size_t to, const char* data, std::size_t n) {
    auto& c = conns_[to];
    if (c.fd >= 0 && waiting(to) == 0) {
        ssize_t w = ::send(c.fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            end(to);
            return;
        }
        if (w > 0) {
            data += w;
            n -= std::size_t(w);
        }
        if (n == 0) return;
    }
    if (c.ended && c.fd < 0) return;  // closed for good: nobody to write to
    c.out.append(data, n);
    if (c.fd >= 0) update(to);
    update(to ^ 1);  // may stop reading the sender
}

void relay::flush(std::size_t i) {
    auto& c = conns_[i];
    while (c.fd >= 0 && waiting(i) > 0) {
        ssize_t w = ::send(c.fd, c.out.data() + c.out_off, waiting(i), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            end(i);
            return;
        }
        c.out_off += std::size_t(w);
    }
    if (waiting(i) == 0) {
        c.out.clear();
        c.out_off = 0;
        // A connection whose pair is over closes once it has everything.
        if (c.ended && c.fd >= 0) {
            ::close(c.fd);  // also leaves the epoll set
            c.fd = -1;
            return;
        }
    }
    if (c.fd >= 0) update(i);
    if (conns_[i ^ 1].fd >= 0) update(i ^ 1);  // may resume reading the peer
}

// Ends connection i's pair: i closes now, its peer once its bytes are written.
void relay::end(std::size_t i) {
    auto& c = conns_[i];
    c.ended = true;
    c.out.clear();
    c.out_off = 0;
    if (c.fd >= 0) {
        ::close(c.fd);  // also leaves the epoll set
        c.fd = -1;
    }
    auto& peer = conns_[i ^ 1];
    if (peer.ended) return;
    peer.ended = true;
    if (peer.fd >= 0) flush(i ^ 1);
}

// Watches for input unless the pair is over or the peer has too much waiting,
// and for output while bytes wait.
void relay::update(std::size_t i) {
    auto& c = conns_[i];
    if (c.fd < 0) return;
    std::uint32_t want = 0;
    if (!c.ended && waiting(i ^ 1) < backlog_bytes) want |= EPOLLIN;
    if (waiting(i) > 0) want |= EPOLLOUT;
    if (c.watched && want == c.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = i;
    if (epoll_ctl(epoll_fd_, c.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0)
        fail("epoll_ctl");
    c.watched = true;
    c.events = want;
}

}  // namespace

void run_relay(const run_options& opts) {
    try {
        relay r(opts.listen);
        std::printf("{\"listening\":%u}\n", unsigned(r.port()));
        std::fflush(stdout);
        const char* why = r.run(opts.duration_s);
        std::printf("# relay: %zu connections, %llu bytes relayed, stopped by %s\n", r.accepted,
                    r.relayed_bytes, why);
        std::fflush(stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-load relay: %s\n", e.what());
        std::exit(1);
    }
}

}  // namespace bench
