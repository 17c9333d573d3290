#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "server/admin/registry.hpp"
#include "server/log.hpp"

namespace server::admin {

using stream_protocol = asio::local::stream_protocol;

namespace {

// One request per connection; the client closes after reading the reply.
class admin_connection : public std::enable_shared_from_this<admin_connection> {
  public:
    admin_connection(stream_protocol::socket s, const registry& r)
        : socket_(std::move(s)), commands_(r) {}

    void start() {
        auto self = shared_from_this();
        asio::async_read_until(socket_, buf_, '\n',
                               [self](boost::system::error_code ec, std::size_t) {
                                   if (!ec) self->handle();
                               });
    }

  private:
    void handle() {
        std::istream in(&buf_);
        std::string line;
        std::getline(in, line);
        auto req = nlohmann::json::parse(line, nullptr, false);
        if (req.is_discarded() || !req.is_object() || !req["command"].is_string() ||
            (req.contains("args") && !req["args"].is_array()))
            return respond({exit_code::usage, "malformed admin request"});
        std::vector<std::string> args;
        for (const auto& a : req.value("args", nlohmann::json::array())) {
            if (!a.is_string()) return respond({exit_code::usage, "arguments must be strings"});
            args.push_back(a.get<std::string>());
        }
        auto self = shared_from_this();
        auto io = socket_.get_executor();
        commands_.call(req["command"].get<std::string>(), args, [self, io](reply r) {
            // Handlers may answer from a storage thread: come back to ours.
            asio::post(io, [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
        });
    }

    void respond(reply r) {
        nlohmann::json j{{"code", r.code}, {"output", r.output}};
        out_ = j.dump() + "\n";
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(out_),
                          [self](boost::system::error_code, std::size_t) {
                              boost::system::error_code ec;
                              self->socket_.shutdown(stream_protocol::socket::shutdown_both, ec);
                          });
    }

    stream_protocol::socket socket_;
    const registry& commands_;
    asio::streambuf buf_{64 * 1024};  // bounded: a request is a few hundred bytes
    std::string out_;
};

}  // namespace

admin_socket::admin_socket(asio::io_context& io, std::string path, const registry& commands)
    : io_(io), path_(std::move(path)), commands_(commands), acceptor_(io) {}

admin_socket::~admin_socket() {
    stop();
}

std::optional<std::string> admin_socket::start() {
    // A socket file left by a crashed server: connecting to it fails, so remove it.
    {
        stream_protocol::socket probe(io_);
        boost::system::error_code ec;
        probe.connect(stream_protocol::endpoint(path_), ec);
        if (!ec) return "another server is already listening on " + path_;
        ::unlink(path_.c_str());
    }
    boost::system::error_code ec;
    // Create the socket 0600 from the start: the admin socket is root of the server.
    auto old_mask = ::umask(077);
    acceptor_.open(stream_protocol(), ec);
    if (!ec) acceptor_.bind(stream_protocol::endpoint(path_), ec);
    ::umask(old_mask);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return "cannot listen on admin socket " + path_ + ": " + ec.message();
    ::chmod(path_.c_str(), 0600);
    accept();
    return std::nullopt;
}

void admin_socket::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, stream_protocol::socket s) {
        if (ec) return;  // closed on stop
        std::make_shared<admin_connection>(std::move(s), commands_)->start();
        accept();
    });
}

void admin_socket::stop() {
    if (!acceptor_.is_open()) return;
    boost::system::error_code ec;
    acceptor_.close(ec);
    ::unlink(path_.c_str());
}

}  // namespace server::admin
