// A session as the router sees it, for tests: keeps every stanza it was sent,
// parsed back into elements, and every stream error it was kicked with.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/router/endpoint.hpp"
#include "xml/jid.hpp"
#include "xml/namespaces.hpp"
#include "xml/stream_parser.hpp"

namespace test_support {

class recording_endpoint : public server::endpoint {
  public:
    void deliver(std::shared_ptr<const std::string> bytes) override {
        xml::element_ptr got;
        xml::stream_parser p({.on_open = [](const xml::element&) {},
                              .on_element = [&](xml::element_ptr el) { got = std::move(el); },
                              .on_close = [] {},
                              .on_error = [](xml::parse_error, std::string d) { FAIL() << d; }});
        p.feed(
            "<stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams'>");
        p.feed(*bytes);
        ASSERT_TRUE(got) << *bytes;
        std::lock_guard lock(mu);
        received.push_back(got);
    }
    void kick(xml::stream_condition c, std::string) override {
        std::lock_guard lock(mu);
        kicked.push_back(c);
    }

    // The <body/> texts of the messages received, in order.
    std::vector<std::string> bodies() {
        std::lock_guard lock(mu);
        std::vector<std::string> out;
        for (const auto& el : received)
            if (const auto* b = el->child(xml::ns::client, "body")) out.push_back(b->text());
        return out;
    }

    // Tests that deliver from other threads read these under `mu`.
    std::mutex mu;
    std::vector<xml::element_ptr> received;
    std::vector<xml::stream_condition> kicked;
};

// A JID the test knows is valid.
inline xml::jid J(std::string_view s) {
    auto j = xml::jid::parse(s);
    EXPECT_TRUE(j) << s;
    return j.value_or(xml::jid{});
}

}  // namespace test_support
