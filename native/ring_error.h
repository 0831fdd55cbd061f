// Errors of the native layer: a stable code for programs, a message for people.
#pragma once
#include <stdexcept>
#include <string>

namespace framering {

struct RingError : std::runtime_error {
  std::string code;  // INVALID_ARGUMENT, RING_EXISTS, RING_NOT_FOUND, RING_INVALID, NO_SPACE, TOO_MANY_READERS,
                     // MESSAGE_TOO_LARGE, CLOSED, TIMEOUT, WRITER_GONE, SYSTEM
  RingError(std::string c, const std::string& message) : std::runtime_error(message), code(std::move(c)) {}
};

std::string SystemMessage(int err);

}  // namespace framering
