#include "process_identity.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace framering {

namespace {
constexpr uint64_t kUnknownStart = ~0ull;

// Start time of pid; 0 when it does not exist or is a zombie; kUnknownStart when /proc cannot tell (out of file
// descriptors, hidepid, another PID namespace).
uint64_t ReadStartTime(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : kUnknownStart;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return kUnknownStart;
  buf[n] = 0;
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  char* p = strrchr(buf, ')');
  if (!p) return kUnknownStart;
  p++;
  while (*p == ' ') p++;
  if (*p == 'Z' || *p == 'X') return 0;  // field 3, the state: a zombie has already died
  for (int field = 3; field < 22 && *p; field++) {
    while (*p == ' ') p++;
    while (*p && *p != ' ') p++;
  }
  return strtoull(p, nullptr, 10);
}
}  // namespace

uint64_t ProcessStartTime(pid_t pid) {
  if (pid <= 0) return 0;
  uint64_t t = ReadStartTime(pid);
  return t == kUnknownStart ? 0 : t;
}

bool ProcessAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  uint64_t now_start = ReadStartTime(pid);
  if (now_start == kUnknownStart) return true;  // can't tell: alive, never dead
  return now_start != 0 && now_start == start_time;
}

uint64_t SelfStartTime() {
  static uint64_t cached = 0;
  static pid_t cached_pid = 0;
  pid_t self = getpid();
  if (cached_pid != self) {  // re-read after a fork
    cached = ProcessStartTime(self);
    cached_pid = self;
  }
  return cached;
}

uint64_t NowRealtimeUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000ull + static_cast<uint64_t>(ts.tv_nsec) / 1000ull;
}

}  // namespace framering
