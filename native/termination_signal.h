// A blocking pull() holds the JavaScript thread, so Node's own handler for SIGTERM (and SIGINT, SIGHUP) cannot run
// until it returns. This notes the signal natively, before passing it on to Node's handler, so that pull() can end
// and let the event loop deliver it.
#pragma once
#include <atomic>

namespace framering {

// Wraps the current handlers of SIGTERM, SIGINT and SIGHUP (call after JavaScript installed its own). Idempotent.
void WatchTerminationSignals();

// Set when one of them arrived since the last ClearTerminationSignal().
const std::atomic<bool>* TerminationSignalFlag();
// The last of them that arrived (0: none since the last clear), and clears it.
int TakeTerminationSignal();
void ClearTerminationSignal();

}  // namespace framering
