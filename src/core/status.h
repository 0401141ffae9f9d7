// Status and Result<T>: Vigil's one error model. A Status carries a code that maps to an HTTP
// status, an exit code and an SMTP reply, and an exact human message that tests assert.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace vigil {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // the caller's input is malformed or out of range
  kNotFound,          // no such thing, or the caller may not know it exists
  kUnauthenticated,   // no valid credential
  kPermissionDenied,  // a valid credential that may not do this
  kConflict,          // the state forbids it (illegal transition, failed precondition)
  kTooLarge,          // over a size limit
  kRateLimited,       // too many requests from this client
  kUnavailable,       // try again later (storage busy, shutting down)
  kAborted,           // the data changed between read and write; the caller retries
  kInternal,          // a broken invariant; a bug
};

/// Stable lower-case name of a code, used in JSON errors ("invalid_argument").
const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Unauthenticated(std::string m) {
    return Status(Code::kUnauthenticated, std::move(m));
  }
  static Status Denied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
  static Status Conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
  static Status TooLarge(std::string m) { return Status(Code::kTooLarge, std::move(m)); }
  static Status RateLimited(std::string m) { return Status(Code::kRateLimited, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status Aborted(std::string m) { return Status(Code::kAborted, std::move(m)); }

  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "invalid_argument: title is required" — for logs and CLI output.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

/// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  /// On a temporary, yields the value itself so `for (x : *Fetch())` does not dangle.
  T operator*() && { return std::move(*this).value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace vigil

/// Returns the Status of EXPR from the enclosing function when it is not OK.
#define VIGIL_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::vigil::Status vigil_status_ = (expr);        \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)
