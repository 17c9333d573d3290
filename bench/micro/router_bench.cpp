// The router's side of one chat message: session lookup by full JID, and the
// whole route() of a message to a bound full JID (lookup, serialize, deliver).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "server/router/router.hpp"
#include "xml/builder.hpp"
#include "xml/namespaces.hpp"

namespace {

class null_endpoint : public server::endpoint {
  public:
    void deliver(std::shared_ptr<const std::string> bytes) override { delivered += bytes->size(); }
    void kick(xml::stream_condition, std::string) override {}
    std::size_t delivered = 0;
};

xml::jid full_jid(std::size_t i) {
    return *xml::jid::parse("u" + std::to_string(i) + "@localhost/r" + std::to_string(i));
}

struct bound_router {
    explicit bound_router(std::size_t n) : r({"localhost"}, events, iqs) {
        for (std::size_t i = 0; i < n; ++i) {
            auto ep = std::make_shared<null_endpoint>();
            r.sessions().bind(full_jid(i), ep, "127.0.0.1", 16);
            r.sessions().set_presence(full_jid(i), true, 0, nullptr);
            eps.push_back(ep);
        }
    }
    server::event_bus events;
    server::iq_dispatch iqs;
    server::router r;
    std::vector<std::shared_ptr<null_endpoint>> eps;
};

void sessions_find(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    bound_router b(n);
    std::vector<xml::jid> targets;
    for (std::size_t i = 0; i < 1024; ++i) targets.push_back(full_jid(i * 7919 % n));
    std::size_t k = 0;
    for (auto _ : state) benchmark::DoNotOptimize(b.r.sessions().find(targets[k++ % 1024]));
}
BENCHMARK(sessions_find)->Arg(1000)->Arg(10000);

void jid_parse_full(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(xml::jid::parse("u123@localhost/chat123"));
}
BENCHMARK(jid_parse_full);

void route_message_to_full_jid(benchmark::State& state) {
    bound_router b(10000);
    auto from = full_jid(1), to = full_jid(2);
    auto el = xml::builder(xml::ns::client, "message")
                  .attr("from", from.str())
                  .attr("to", to.str())
                  .attr("type", "chat")
                  .attr("id", "m1")
                  .text_child(xml::ns::client, "body", std::string(64, 'x'))
                  .done();
    for (auto _ : state) b.r.route(server::routed_stanza{el, from, to});
    if (b.eps[2]->delivered == 0) state.SkipWithError("nothing delivered");
}
BENCHMARK(route_message_to_full_jid);

}  // namespace
