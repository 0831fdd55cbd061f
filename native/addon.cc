// The framering native module: rings in shared memory, their readers, and the pump. No cameras, no processes.
#include <napi.h>

#include <cstddef>

#include "napi_helpers.h"
#include "process_control.h"
#include "ring_client.h"
#include "ring_pump.h"
#include "ring_server.h"

namespace framering {

// inspectSegment(segmentName) → what the cleanup tool shows; never throws for a bad file.
static Napi::Value Inspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw MakeError(env, "INVALID_ARGUMENT", "inspectSegment(segmentName)");
  SegmentInfo s = InspectSegment(info[0].As<Napi::String>().Utf8Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("valid", s.valid);
  o.Set("problem", s.problem);
  o.Set("writerPid", s.writer_pid);
  o.Set("writerAlive", s.writer_alive);
  o.Set("closed", s.closed);
  o.Set("bytes", static_cast<double>(s.bytes));
  o.Set("ageMs", static_cast<double>(s.age_ms));
  o.Set("format", s.format == 1 ? "rgb24" : s.format == 2 ? "data" : "unknown");
  o.Set("slots", s.slot_count);
  o.Set("width", s.width);
  o.Set("height", s.height);
  o.Set("readers", s.readers);
  return o;
}

static Napi::Value Unlink(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw MakeError(info.Env(), "INVALID_ARGUMENT", "unlinkSegment(segmentName)");
  return Napi::Boolean::New(info.Env(), UnlinkSegment(info[0].As<Napi::String>().Utf8Value()));
}

static Napi::Value SegmentName(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw MakeError(info.Env(), "INVALID_ARGUMENT", "ring name must be a string");
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
  exports.Set("unlinkSegment", Napi::Function::New(env, Unlink));
  exports.Set("segmentNameFor", Napi::Function::New(env, SegmentName));
  exports.Set("maxReaders", Napi::Number::New(env, kMaxReaders));
  exports.Set("segmentPrefix", Napi::String::New(env, kSegmentPrefix));
  // Where things sit in a segment, for tools and for tests that play a hostile or crashed process.
  Napi::Object offsets = Napi::Object::New(env);
  offsets.Set("slotCount", static_cast<double>(offsetof(RingHeader, slot_count)));
  offsets.Set("slotBytes", static_cast<double>(offsetof(RingHeader, slot_bytes)));
  offsets.Set("readers", static_cast<double>(offsetof(RingHeader, readers)));
  offsets.Set("readerEntryBytes", static_cast<double>(sizeof(ReaderEntry)));
  offsets.Set("readerPid", static_cast<double>(offsetof(ReaderEntry, pid)));
  exports.Set("layoutOffsets", offsets);
  RegisterProcessControl(env, exports);
  return exports;
}

}  // namespace framering

static Napi::Object InitFramering(Napi::Env env, Napi::Object exports) { return framering::Init(env, exports); }

NODE_API_MODULE(framering, InitFramering)
