// Expected failures of storage calls. std::expected is C++23; this is the small
// subset we need until the toolchain has it.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace storage {

// limit_reached: a bounded store (an archive with a quota) is full.
enum class errc { ok, not_found, already_exists, io_error, corrupt, busy, limit_reached };

struct error {
    errc code = errc::io_error;
    std::string message;
};

template <class T>
class [[nodiscard]] result {
  public:
    result(T value) : v_(std::move(value)) {}
    result(storage::error e) : v_(std::move(e)) {}
    explicit operator bool() const { return v_.index() == 0; }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T* operator->() const { return &value(); }
    const storage::error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, storage::error> v_;
};

template <>
class [[nodiscard]] result<void> {
  public:
    result() = default;
    result(storage::error e) : ok_(false), e_(std::move(e)) {}
    explicit operator bool() const { return ok_; }
    const storage::error& error() const { return e_; }

  private:
    bool ok_ = true;
    storage::error e_;
};

}  // namespace storage
