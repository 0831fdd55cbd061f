// The framering native module: rings in shared memory, their readers, and the pump. No cameras, no processes.
#include <napi.h>

#include <cstddef>

#include "napi_helpers.h"
#include "process_control.h"
#include "ring_client.h"
#include "ring_pump.h"
#include "ring_server.h"
#include "termination_signal.h"

namespace framering {

// inspectSegment(segmentName) → what the cleanup tool shows; never throws for a bad file.
static Napi::Value Inspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw MakeError(env, "INVALID_ARGUMENT", "inspectSegment(segmentName)");
  SegmentInfo s = InspectSegment(info[0].As<Napi::String>().Utf8Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", s.kind);
  o.Set("valid", s.valid);
  o.Set("problem", s.problem);
  o.Set("writerPid", s.writer_pid);
  o.Set("writerAlive", s.writer_alive);
  o.Set("closed", s.closed);
  o.Set("bytes", static_cast<double>(s.bytes));
  o.Set("ageMs", static_cast<double>(s.age_ms));
  o.Set("format", FormatName(s.format));
  o.Set("slots", s.slot_count);
  o.Set("width", s.width);
  o.Set("height", s.height);
  o.Set("readers", s.readers);
  o.Set("version", s.version);
  o.Set("uid", s.uid);
  o.Set("mode", s.mode);
  return o;
}

// removeStaleSegment(segmentName, force?) → { removed, why }: removes a ring only when nobody serves it (force: a
// live one too, for a person who asked).
static Napi::Value RemoveStale(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString())
    throw MakeError(info.Env(), "INVALID_ARGUMENT", "removeStaleSegment(segmentName)");
  std::string why;
  bool force = info.Length() > 1 && info[1].ToBoolean().Value();
  bool removed = RemoveStaleSegment(info[0].As<Napi::String>().Utf8Value(), force, &why);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("removed", removed);
  o.Set("why", why);
  return o;
}

static Napi::Value WatchSignals(const Napi::CallbackInfo& info) {
  WatchTerminationSignals();
  return info.Env().Undefined();
}

static Napi::Value TakeSignal(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), TakeTerminationSignal());
}

static Napi::Value ClearSignal(const Napi::CallbackInfo& info) {
  ClearTerminationSignal();
  return info.Env().Undefined();
}

static Napi::Value SegmentName(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString())
    throw MakeError(info.Env(), "INVALID_ARGUMENT", "ring name must be a string");
  try {
    return Napi::String::New(info.Env(), SegmentNameFor(info[0].As<Napi::String>().Utf8Value()));
  } catch (const RingError& e) {
    throw MakeError(info.Env(), e);
  }
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("RingServer", RingServer::Init(env));
  exports.Set("RingClient", RingClient::Init(env));
  exports.Set("RingPump", RingPump::Init(env));
  exports.Set("createPipe", Napi::Function::New(env, CreatePipe));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("inspectSegment", Napi::Function::New(env, Inspect));
  exports.Set("removeStaleSegment", Napi::Function::New(env, RemoveStale));
  exports.Set("watchTerminationSignals", Napi::Function::New(env, WatchSignals));
  exports.Set("clearTerminationSignal", Napi::Function::New(env, ClearSignal));
  exports.Set("takeTerminationSignal", Napi::Function::New(env, TakeSignal));
  exports.Set("segmentNameFor", Napi::Function::New(env, SegmentName));
  exports.Set("maxReaders", Napi::Number::New(env, kMaxReaders));
  exports.Set("segmentPrefix", Napi::String::New(env, kSegmentPrefix));
  // The limits the native side enforces: TypeScript checks options against these, so there is one source of truth.
  Napi::Object limits = Napi::Object::New(env);
  limits.Set("maxDimension", kMaxDimension);
  limits.Set("maxSlots", kMaxSlots);
  limits.Set("maxReaders", kMaxReaders);
  limits.Set("layoutVersion", kLayoutVersion);
  exports.Set("limits", limits);
  // Where things sit in a segment, for tools and for tests that play a hostile or crashed process.
  Napi::Object offsets = Napi::Object::New(env);
  offsets.Set("slotCount", static_cast<double>(offsetof(RingHeader, slot_count)));
  offsets.Set("slotBytes", static_cast<double>(offsetof(RingHeader, slot_bytes)));
  offsets.Set("readers", static_cast<double>(offsetof(RingHeader, readers)));
  offsets.Set("readerEntryBytes", static_cast<double>(sizeof(ReaderEntry)));
  offsets.Set("readerPid", static_cast<double>(offsetof(ReaderEntry, pid)));
  offsets.Set("readerToken", static_cast<double>(offsetof(ReaderEntry, token)));
  offsets.Set("readerInUse", static_cast<double>(offsetof(ReaderEntry, in_use)));
  offsets.Set("futexes", static_cast<double>(offsetof(RingHeader, publish_futex)));
  offsets.Set("counters", static_cast<double>(offsetof(RingHeader, write_seq)));
  offsets.Set("headerBytes", static_cast<double>(sizeof(RingHeader)));
  offsets.Set("slotMetaBytes", static_cast<double>(sizeof(SlotMeta)));
  offsets.Set("slotHoldMask", static_cast<double>(offsetof(SlotMeta, hold_mask)));
  offsets.Set("writerLockByte", static_cast<double>(kWriterLockByte));
  offsets.Set("readerLockByte", static_cast<double>(kReaderLockByte));
  exports.Set("layoutOffsets", offsets);
  RegisterProcessControl(env, exports);
  return exports;
}

}  // namespace framering

static Napi::Object InitFramering(Napi::Env env, Napi::Object exports) { return framering::Init(env, exports); }

NODE_API_MODULE(framering, InitFramering)
