#include "termination_signal.h"

#include <signal.h>

#include <cstring>
#include <mutex>

namespace framering {

namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP};
std::atomic<bool> pending{false};
std::atomic<int> last_signal{0};
struct sigaction previous[NSIG];
void* first_wrapped[NSIG];  // the handler we wrapped first (libuv's), to tell it from somebody else's later
bool wrapped[NSIG];
std::mutex install_mutex;

void* HandlerOf(const struct sigaction& a) {
  return (a.sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(a.sa_sigaction) : reinterpret_cast<void*>(a.sa_handler);
}

void OnSignal(int sig, siginfo_t* info, void* context) {
  last_signal.store(sig);
  pending.store(true);
  const struct sigaction& next = previous[sig];
  if (next.sa_flags & SA_SIGINFO) {
    if (next.sa_sigaction) next.sa_sigaction(sig, info, context);
  } else if (next.sa_handler != SIG_IGN && next.sa_handler != SIG_DFL && next.sa_handler) {
    next.sa_handler(sig);
  } else if (next.sa_handler == SIG_DFL) {
    // Nobody in JavaScript handles it: die of it, as without us.
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

}  // namespace

void WatchTerminationSignals() {
  std::lock_guard<std::mutex> lock(install_mutex);
  for (int sig : kSignals) {
    struct sigaction current;
    if (sigaction(sig, nullptr, &current) != 0) continue;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == OnSignal) continue;  // ours already
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;   // ignored stays ignored
    // Wrapped before, and now neither Node's own handler again (re-installed) nor the default: somebody else's, which
    // may be another copy of this addon that already chains to us. Wrapping it would make a loop.
    bool is_default = !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
    if (wrapped[sig] && !is_default && HandlerOf(current) != first_wrapped[sig]) continue;
    if (!wrapped[sig]) first_wrapped[sig] = HandlerOf(current);
    wrapped[sig] = true;
    previous[sig] = current;
    struct sigaction mine;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = OnSignal;
    mine.sa_flags = SA_SIGINFO | SA_RESTART | (current.sa_flags & SA_ONSTACK);
    mine.sa_mask = current.sa_mask;
    sigaction(sig, &mine, nullptr);
  }
}

const std::atomic<bool>* TerminationSignalFlag() { return &pending; }

void ClearTerminationSignal() {
  pending.store(false);
  last_signal.store(0);
}

int TakeTerminationSignal() {
  int sig = last_signal.exchange(0);
  pending.store(false);
  return sig;
}

}  // namespace framering
