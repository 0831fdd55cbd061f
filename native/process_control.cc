#include "process_control.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "napi_helpers.h"

namespace framering {

namespace {

std::atomic<bool> watchdog_started{false};
std::atomic<bool> orphan_acknowledged{false};

bool ValidPid(double v) { return v >= 2 && v <= 4194304 && v == static_cast<double>(static_cast<pid_t>(v)); }

// Blocks until `parent` is no longer our parent. A pidfd wakes us the moment it exits; without pidfd_open (kernels
// before 5.3) we look every 50 ms.
void WaitForParentDeath(pid_t parent) {
#ifdef SYS_pidfd_open
  int fd = static_cast<int>(syscall(SYS_pidfd_open, parent, 0));
  if (fd >= 0) {
    // Opened after the parent may have died and its pid been reused: only trust it while it is still our parent.
    if (getppid() == parent) {
      pollfd p{fd, POLLIN, 0};
      while (poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
    }
    close(fd);
    return;
  }
#endif
  while (getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// setParentDeathSignal(signal, expectedParentPid) → false when the parent is already gone (it died before the
// request took effect, so the kernel will never send the signal: the caller must act on its own).
Napi::Value SetParentDeathSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw MakeError(env, "INVALID_ARGUMENT", "setParentDeathSignal(signal, expectedParentPid): two numbers");
  int sig = info[0].As<Napi::Number>().Int32Value();
  double parent = info[1].As<Napi::Number>().DoubleValue();
  if (sig < 1 || sig > 64)
    throw MakeError(env, "INVALID_ARGUMENT", "setParentDeathSignal: signal must be a signal number (1..64)");
  if (!ValidPid(parent))
    throw MakeError(env, "INVALID_ARGUMENT", "setParentDeathSignal: expectedParentPid must be a process id");
  if (prctl(PR_SET_PDEATHSIG, sig) != 0) throw MakeError(env, "SYSTEM", "prctl(PR_SET_PDEATHSIG) failed");
  // The parent may have died between fork and here; then we were reparented and no signal will ever come.
  return Napi::Boolean::New(env, getppid() == static_cast<pid_t>(parent));
}

// startOrphanWatchdog(expectedParentPid, respondMs, limitMs): once the parent is gone, this process is SIGKILLed
// unless acknowledgeOrphan() is called within respondMs (a JavaScript loop stuck in synchronous code cannot call
// it), and in any case limitMs after the death (an orderly shutdown that hangs). Once per process.
Napi::Value StartOrphanWatchdog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    throw MakeError(env, "INVALID_ARGUMENT",
                    "startOrphanWatchdog(expectedParentPid, respondMs, limitMs): three numbers");
  double parent = info[0].As<Napi::Number>().DoubleValue();
  int64_t respond_ms = info[1].As<Napi::Number>().Int64Value();
  int64_t limit_ms = info[2].As<Napi::Number>().Int64Value();
  if (!ValidPid(parent))
    throw MakeError(env, "INVALID_ARGUMENT", "startOrphanWatchdog: expectedParentPid must be a process id");
  if (respond_ms < 1 || limit_ms < respond_ms)
    throw MakeError(env, "INVALID_ARGUMENT", "startOrphanWatchdog: need 1 <= respondMs <= limitMs");
  if (watchdog_started.exchange(true)) return Napi::Boolean::New(env, false);
  std::thread([p = static_cast<pid_t>(parent), respond_ms, limit_ms] {
    WaitForParentDeath(p);
    auto died = std::chrono::steady_clock::now();
    auto waited = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - died).count();
    };
    while (waited() < respond_ms && !orphan_acknowledged.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (orphan_acknowledged.load()) {
      while (waited() < limit_ms) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(getpid(), SIGKILL);
  }).detach();
  return Napi::Boolean::New(env, true);
}

// acknowledgeOrphan(): the event loop saw the parent's death and is shutting down in order; see the watchdog.
Napi::Value AcknowledgeOrphan(const Napi::CallbackInfo& info) {
  orphan_acknowledged.store(true);
  return info.Env().Undefined();
}

}  // namespace

void RegisterProcessControl(Napi::Env env, Napi::Object exports) {
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetParentDeathSignal));
  exports.Set("startOrphanWatchdog", Napi::Function::New(env, StartOrphanWatchdog));
  exports.Set("acknowledgeOrphan", Napi::Function::New(env, AcknowledgeOrphan));
}

}  // namespace framering
