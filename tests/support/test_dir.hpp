// A fresh, empty directory for one test case: named after the test and the
// process, so cases and parallel ctest runs never share one. The caller removes
// it (TearDown) when it is done.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace test_support {

inline std::filesystem::path fresh_test_dir(std::string_view tag) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto dir = std::filesystem::temp_directory_path() /
               ("parley-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
                (info ? info->name() : "none"));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace test_support
