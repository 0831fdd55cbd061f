// Small glue between the native ring and JavaScript: errors with codes, argument reading, the segment's ArrayBuffer.
#pragma once
#include <napi.h>

#include <string>

#include "ring_core.h"
#include "ring_error.h"
#include "shm_segment.h"

namespace framering {

inline Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

inline Napi::Error MakeError(Napi::Env env, const RingError& err) { return MakeError(env, err.code, err.what()); }

inline Napi::Object OptionsArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsObject())
    throw MakeError(info.Env(), "INVALID_ARGUMENT", "expected an options object");
  return info[i].As<Napi::Object>();
}

// A whole non-negative number within max, or a clear INVALID_ARGUMENT naming the option.
double NumberOption(Napi::Object opts, const char* key, double fallback, double min, double max);
std::string StringOption(Napi::Object opts, const char* key);
bool BoolOption(Napi::Object opts, const char* key, bool fallback);

// The one external ArrayBuffer over a mapping, shared by every object that uses the mapping in this environment:
// V8 aborts if the same address is registered as a backing store twice, and per-frame buffers would cost an
// allocation each. Each object acquires it at most once and releases it on close; the last release detaches it, so a
// view that outlives every user reads as empty instead of touching unmapped memory.
Napi::ArrayBuffer AcquireBuffer(Napi::Env env, Mapping* mapping);
Napi::ArrayBuffer CurrentBuffer(Napi::Env env, Mapping* mapping);
// detach: true on close and in destructors (an object garbage-collected without close() may leave views behind that
// a later open of the same mapping must not share memory with); false from environment cleanup hooks, where no
// JavaScript runs any more.
void ReleaseBuffer(Napi::Env env, Mapping* mapping, bool detach);

// The checked geometry the core took at open, never re-read from the shared header.
Napi::Object LayoutObject(Napi::Env env, const RingCore& core);

}  // namespace framering
