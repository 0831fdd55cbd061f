// Per-hop timestamps of the doorbell path, for the bench (`npm run bench -- --only latency --hops`): the process
// environment FRAMERING_HOPS=1 turns them on. Off, a stamp is one well-predicted branch on a flag read once at load;
// the writer's ring stays one byte and the reader reads it with one recv.
// Times are CLOCK_MONOTONIC in ns (as doubles: exact for ~100 days of uptime), the clock of process.hrtime.bigint().
#pragma once
#include <time.h>

namespace framering {
namespace hops {

// The last delivery's stamps in this process (one reader per bench process). kSend travels in the ring itself;
// kSendReturned is the writer's own (sendto's cost, read in the writer's process).
enum Stamp { kSend, kPoll, kDrained, kCall, kNextEntry, kArmed, kSendReturned, kCount };

extern const bool kEnabled;
extern double g_stamps[kCount];

inline double NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

inline void Mark(Stamp s) {
  if (__builtin_expect(kEnabled, 0)) g_stamps[s] = NowNs();
}

}  // namespace hops
}  // namespace framering
