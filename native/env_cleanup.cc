#include "env_cleanup.h"

namespace framering {

void EnvCleanupHook::Add(napi_env env, Fn fn, void* arg) {
  if (env_) return;  // Node aborts on a hook registered twice
  if (napi_add_env_cleanup_hook(env, fn, arg) != napi_ok) return;
  env_ = env;
  fn_ = fn;
  arg_ = arg;
}

void EnvCleanupHook::Remove() {
  if (!env_) return;
  napi_remove_env_cleanup_hook(env_, fn_, arg_);
  env_ = nullptr;
}

}  // namespace framering
