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

// The addresses of the readers a writer thread rang last, by token: formatting one cost more than the rest of a
// ring's user space. Per thread, because a ring's writer threads ring at once.
struct CachedAddress {
  uint64_t token = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  socklen_t len = 0;
  sockaddr_un addr;
};
constexpr int kCachedAddresses = 16;
thread_local CachedAddress cached_addresses[kCachedAddresses];
}  // namespace

DoorbellReceiver::DoorbellReceiver(dev_t dev, ino_t ino, uint64_t token) {
  addr_len_ = AddressOf(dev, ino, token, &addr_);
  fd_ = NewSocket();
  if (fd_ < 0) return;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr_), addr_len_) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

DoorbellReceiver::~DoorbellReceiver() {
  if (fd_ >= 0) close(fd_);
}

// One recv, not a loop until EAGAIN: a sleeping reader is rung once per arm, so one ring is what waits; the loop's
// second recv was a system call per wakeup for nothing. Extra rings (our own yield, a late one) stay readable, and
// the level-triggered poll brings us back once per ring, which finds the reader busy and only reads it.
void DoorbellReceiver::Drain() {
  char buf[64];
  ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (hops::kEnabled && n == sizeof(double)) memcpy(&hops::g_stamps[hops::kSend], buf, sizeof(double));
}

void DoorbellReceiver::RingSelf() {
  sendto(fd_, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr_), addr_len_);
}

DoorbellSender::DoorbellSender() : fd_(NewSocket()) {}

DoorbellSender::~DoorbellSender() {
  if (fd_ >= 0) close(fd_);
}

bool DoorbellSender::Ring(dev_t dev, ino_t ino, uint64_t token) {
  if (fd_ < 0) return false;  // no socket (out of descriptors at creation): readers fall back to their waiter
  CachedAddress& c = cached_addresses[token % kCachedAddresses];
  if (c.token != token || c.dev != dev || c.ino != ino) {
    c.len = AddressOf(dev, ino, token, &c.addr);
    c.token = token;
    c.dev = dev;
    c.ino = ino;
  }
  const sockaddr_un& addr = c.addr;
  socklen_t len = c.len;
  // Measuring hops: the ring carries its send time (see doorbell_hops.h).
  double sent_ns = hops::kEnabled ? hops::NowNs() : 0;
  const void* bell = hops::kEnabled ? static_cast<const void*>(&sent_ns) : "w";
  size_t bell_bytes = hops::kEnabled ? sizeof sent_ns : 1;
  ssize_t sent =
      sendto(fd_, bell, bell_bytes, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  if (hops::kEnabled) {
    hops::g_stamps[hops::kSend] = sent_ns;
    hops::Mark(hops::kSendReturned);
  }
  if (sent == static_cast<ssize_t>(bell_bytes)) return true;
  // EAGAIN: rings already wait in its queue, so it will wake anyway. Anything else (refused, no such name, a
  // security module saying no) means this doorbell does not work from here: the reader falls back to its thread.
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace framering
