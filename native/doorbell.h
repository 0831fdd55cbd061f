// The doorbell: how a writer wakes a reader's event loop in one hop, with no thread in between. Each reader that
// sleeps binds an abstract Unix datagram socket named after the ring file and its registration token, arms its bit
// in the ring's armed_mask, and polls the socket on its own event loop. A writer that commits takes the armed bits
// (one atomic exchange) and sends one byte to each: no system call at all while the readers are busy.
// Abstract sockets live in a network namespace: a reader the writer cannot reach (another namespace) is told so
// through its entry (refused_token), and falls back to the futex waiter thread.
#pragma once
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstdint>

namespace framering {

// The reader's side: a bound, non-blocking datagram socket. fd() < 0 when it could not be made.
class DoorbellReceiver {
 public:
  DoorbellReceiver(dev_t dev, ino_t ino, uint64_t token);
  ~DoorbellReceiver();
  DoorbellReceiver(const DoorbellReceiver&) = delete;
  DoorbellReceiver& operator=(const DoorbellReceiver&) = delete;
  int fd() const { return fd_; }
  void Drain();     // takes the pending ring (one recv: a second one left queued only wakes the loop once more)
  void RingSelf();  // a ring to ourselves: the event loop comes back to us soon

 private:
  int fd_ = -1;
  sockaddr_un addr_;  // our own address, for RingSelf
  socklen_t addr_len_ = 0;
};

// The writer's side: one unbound socket, shared by the writer's threads (sendto is thread-safe).
class DoorbellSender {
 public:
  DoorbellSender();
  ~DoorbellSender();
  DoorbellSender(const DoorbellSender&) = delete;
  DoorbellSender& operator=(const DoorbellSender&) = delete;
  // False when nobody answers at that address (the reader is gone, or in another network namespace).
  bool Ring(dev_t dev, ino_t ino, uint64_t token);

 private:
  int fd_ = -1;
};

}  // namespace framering
