// Process-level controls for a forked backend: learning of the parent's death from the kernel, not from an event
// loop that may be too busy to notice. No rings here.
#pragma once
#include <napi.h>

namespace framering {

// Adds setParentDeathSignal, startOrphanWatchdog and acknowledgeOrphan to the addon's exports.
void RegisterProcessControl(Napi::Env env, Napi::Object exports);

}  // namespace framering
