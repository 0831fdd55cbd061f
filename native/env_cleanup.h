// Teardown of a JavaScript environment (a worker terminated, the main thread exiting) for objects that own native
// threads and thread-safe functions. Node deletes a thread-safe function right after the environment's cleanup hooks
// ran, and runs finalizers (our destructors) only after that, in no particular order: a thread still running then calls
// into freed memory. So every such object stops and joins its threads from a cleanup hook of its own.
#pragma once
#include <node_api.h>

namespace framering {

class EnvCleanupHook {
 public:
  using Fn = void (*)(void* arg);

  EnvCleanupHook() = default;
  EnvCleanupHook(const EnvCleanupHook&) = delete;
  EnvCleanupHook& operator=(const EnvCleanupHook&) = delete;
  ~EnvCleanupHook() { Remove(); }

  // fn(arg) runs on the environment's thread when it is torn down, unless Remove() came first. Once per object.
  void Add(napi_env env, Fn fn, void* arg);
  // On close: the object has nothing left to tear down. Idempotent.
  void Remove();
  // First thing in the hook itself: Node drops the hook after running it.
  void Ran() { env_ = nullptr; }

 private:
  napi_env env_ = nullptr;
  Fn fn_ = nullptr;
  void* arg_ = nullptr;
};

// Calls (obj->*M)() from a cleanup hook: exceptions must not unwind into Node.
template <typename T, void (T::*M)()>
void RunCleanup(void* arg) {
  try {
    (static_cast<T*>(arg)->*M)();
  } catch (...) {
    // Tearing down regardless: a failed JavaScript call during teardown has nowhere to go.
  }
}

}  // namespace framering
