#include "xml/base64.hpp"

#include <gtest/gtest.h>

#include "xml/datetime.hpp"

namespace xml {
namespace {

TEST(base64_test, rfc4648_vectors_roundtrip) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded).value_or("<error>"), plain);
    }
    std::string binary("\0\xff\x10", 3);
    EXPECT_EQ(base64_decode(base64_encode(binary)).value_or(""), binary);
}

// RFC 6120 §6.4.2: whitespace or other junk in SASL data is incorrect-encoding.
TEST(base64_test, decoding_is_strict) {
    for (const char* bad : {"Zm9v\n", "Zm 9v", "Zm9", "Zm9v!", "=Zm9", "Zm=v"})
        EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(datetime_test, xep0082_utc_format) {
    std::chrono::system_clock::time_point t{std::chrono::milliseconds(1700000000123)};
    EXPECT_EQ(datetime(t), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace xml
