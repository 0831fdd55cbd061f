#include "doorbell.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "doorbell_hops.h"

namespace framering {

namespace {
// "\0framering-<dev>-<ino>-<token>": unique per ring file and registration, never a file in any directory.
socklen_t AddressOf(dev_t dev, ino_t ino, uint64_t token, sockaddr_un* out) {
  memset(out, 0, sizeof *out);
  out->sun_family = AF_UNIX;
  int n = snprintf(out->sun_path + 1, sizeof out->sun_path - 1, "framering-%llx-%llx-%llx",
                   static_cast<unsigned long long>(dev), static_cast<unsigned long long>(ino),
                   static_cast<unsigned long long>(token));
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

int NewSocket() { return socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }
}  // namespace

DoorbellReceiver::DoorbellReceiver(dev_t dev, ino_t ino, uint64_t token) : dev_(dev), ino_(ino), token_(token) {
  fd_ = NewSocket();
  if (fd_ < 0) return;
  sockaddr_un addr;
  socklen_t len = AddressOf(dev, ino, token, &addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

DoorbellReceiver::~DoorbellReceiver() {
  if (fd_ >= 0) close(fd_);
}

void DoorbellReceiver::Drain() {
  char buf[64];
  ssize_t n;
  while ((n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
    if (hops::kEnabled && n == sizeof(double)) memcpy(&hops::g_stamps[hops::kSend], buf, sizeof(double));
  }
}

void DoorbellReceiver::RingSelf() {
  sockaddr_un addr;
  socklen_t len = AddressOf(dev_, ino_, token_, &addr);
  sendto(fd_, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
}

DoorbellSender::DoorbellSender() : fd_(NewSocket()) {}

DoorbellSender::~DoorbellSender() {
  if (fd_ >= 0) close(fd_);
}

bool DoorbellSender::Ring(dev_t dev, ino_t ino, uint64_t token) {
  if (fd_ < 0) return false;  // no socket (out of descriptors at creation): readers fall back to their waiter
  sockaddr_un addr;
  socklen_t len = AddressOf(dev, ino, token, &addr);
  // Measuring hops: the ring carries its send time (see doorbell_hops.h).
  double sent_ns = hops::kEnabled ? hops::NowNs() : 0;
  const void* bell = hops::kEnabled ? static_cast<const void*>(&sent_ns) : "w";
  size_t bell_bytes = hops::kEnabled ? sizeof sent_ns : 1;
  if (sendto(fd_, bell, bell_bytes, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len) ==
      static_cast<ssize_t>(bell_bytes))
    return true;
  // EAGAIN: rings already wait in its queue, so it will wake anyway. Anything else (refused, no such name, a
  // security module saying no) means this doorbell does not work from here: the reader falls back to its thread.
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace framering
