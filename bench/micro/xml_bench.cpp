// The XML stream parser and serializer on the c2s hot path: one chat message in
// (parse) and one out (serialize), per routed message.
#include <benchmark/benchmark.h>

#include <string>

#include "xml/builder.hpp"
#include "xml/namespaces.hpp"
#include "xml/stream_parser.hpp"
#include "xml/writer.hpp"

namespace {

constexpr std::string_view header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='localhost' version='1.0'>";
constexpr std::string_view message =
    "<message to='u1@localhost/chat1' type='chat' id='m12345'><body>PB:1234567890123:"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</body></message>";

void parse_message(benchmark::State& state) {
    std::size_t got = 0;
    xml::stream_parser p({.on_open = [](const xml::element&) {},
                          .on_element = [&](xml::element_ptr) { ++got; },
                          .on_close = [] {},
                          .on_error = [](xml::parse_error, std::string) {}});
    p.feed(header);
    for (auto _ : state) p.feed(message);
    if (got != std::size_t(state.iterations())) state.SkipWithError("parser lost messages");
    state.SetBytesProcessed(std::int64_t(state.iterations() * message.size()));
}
BENCHMARK(parse_message);

// The same message arriving in small TCP pieces: expat's buffering and rescans.
void parse_message_split(benchmark::State& state) {
    const auto piece = std::size_t(state.range(0));
    xml::stream_parser p({.on_open = [](const xml::element&) {},
                          .on_element = [](xml::element_ptr) {},
                          .on_close = [] {},
                          .on_error = [](xml::parse_error, std::string) {}});
    p.feed(header);
    for (auto _ : state)
        for (std::size_t i = 0; i < message.size(); i += piece) p.feed(message.substr(i, piece));
    state.SetBytesProcessed(std::int64_t(state.iterations() * message.size()));
}
BENCHMARK(parse_message_split)->Arg(16)->Arg(64);

xml::element_ptr sample_message() {
    return xml::builder(xml::ns::client, "message")
        .attr("from", "u0@localhost/chat0")
        .attr("to", "u1@localhost/chat1")
        .attr("type", "chat")
        .attr("id", "m12345")
        .text_child(xml::ns::client, "body",
                    "PB:1234567890123:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .done();
}

void serialize_message(benchmark::State& state) {
    auto el = sample_message();
    std::string out;
    for (auto _ : state) {
        out.clear();
        xml::write(*el, out, xml::ns::client);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(serialize_message);

void build_message(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(sample_message());
}
BENCHMARK(build_message);

}  // namespace
