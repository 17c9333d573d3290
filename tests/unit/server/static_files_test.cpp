// Request paths for the web page: only plain names inside the tree are served.
#include "server/http/static_files.hpp"

#include <gtest/gtest.h>

#include "server/http/host_meta.hpp"

namespace server {
namespace {

TEST(static_files_test, paths_are_decoded_and_directories_get_index) {
    EXPECT_EQ(normalize_url_path("/"), "/index.html");
    EXPECT_EQ(normalize_url_path("/vendor/strophe.min.js"), "/vendor/strophe.min.js");
    EXPECT_EQ(normalize_url_path("/a%20b.txt"), "/a b.txt");
    EXPECT_EQ(normalize_url_path("/docs/"), "/docs/index.html");
}

TEST(static_files_test, walking_out_of_the_tree_is_refused) {
    for (const char* bad : {"/..", "/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/a/%2E%2E/b",
                            "/a%2f..%2f..%2fb", "/.hidden", "/a/./b", "//etc/passwd", "/a\\b",
                            "/a%5cb", "/a%00b", "/%zz", "/%2", "relative", ""})
        EXPECT_EQ(normalize_url_path(bad), std::nullopt) << bad;
}

TEST(host_meta_test, xrd_and_json_name_both_endpoints) {
    endpoints e{"wss://example.com/xmpp-websocket", "https://example.com/http-bind"};
    auto xrd = host_meta_xrd(e);
    EXPECT_NE(xrd.find("<Link rel='urn:xmpp:alt-connections:websocket' "
                       "href='wss://example.com/xmpp-websocket'/>"),
              std::string::npos);
    EXPECT_NE(xrd.find("<Link rel='urn:xmpp:alt-connections:xbosh' "
                       "href='https://example.com/http-bind'/>"),
              std::string::npos);
    EXPECT_EQ(host_meta_json(e),
              "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"wss://"
              "example.com/xmpp-websocket\"},{\"rel\":\"urn:xmpp:alt-connections:xbosh\","
              "\"href\":\"https://example.com/http-bind\"}]}\n");
}

TEST(host_meta_test, host_headers_are_checked_before_use) {
    EXPECT_TRUE(is_valid_host_header("example.com"));
    EXPECT_TRUE(is_valid_host_header("127.0.0.1:5280"));
    EXPECT_TRUE(is_valid_host_header("[::1]:5443"));
    EXPECT_FALSE(is_valid_host_header(""));
    EXPECT_FALSE(is_valid_host_header("evil'><x"));
    EXPECT_FALSE(is_valid_host_header("a b"));
    EXPECT_FALSE(is_valid_host_header("example.com/path"));
}

}  // namespace
}  // namespace server
