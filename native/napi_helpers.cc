#include "napi_helpers.h"

#include <cmath>

namespace framering {

double NumberOption(Napi::Object opts, const char* key, double fallback, double min, double max) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber())
    throw MakeError(opts.Env(), "INVALID_ARGUMENT", std::string("option '") + key + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < min || d > max)
    throw MakeError(opts.Env(), "INVALID_ARGUMENT",
                    std::string("option '") + key + "' must be a whole number from " + std::to_string((long long)min) +
                        " to " + std::to_string((long long)max) + ", got " + v.ToString().Utf8Value());
  return d;
}

std::string StringOption(Napi::Object opts, const char* key) {
  Napi::Value v = opts.Get(key);
  if (!v.IsString()) throw MakeError(opts.Env(), "INVALID_ARGUMENT", std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool BoolOption(Napi::Object opts, const char* key, bool fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return v.ToBoolean().Value();
}

Napi::ArrayBuffer WrapMapping(Napi::Env env, Mapping* mapping) {
  mapping->Ref();
  return Napi::ArrayBuffer::New(env, mapping->addr, mapping->length,
                                [](Napi::Env, void*, Mapping* m) { m->Unref(); }, mapping);
}

Napi::Object SlotMetaToObject(Napi::Env env, int32_t index, const SlotMeta& meta, uint64_t dropped_before) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("seq", static_cast<double>(meta.seq));
  o.Set("bytes", static_cast<double>(meta.bytes));
  o.Set("timestampUs", static_cast<double>(meta.timestamp_us));
  o.Set("frameNumber", static_cast<double>(meta.frame_number));
  o.Set("width", meta.width);
  o.Set("height", meta.height);
  o.Set("slotId", meta.slot_id);
  o.Set("droppedBefore", static_cast<double>(dropped_before));
  return o;
}

Napi::Object LayoutObject(Napi::Env env, const RingHeader* h) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("slotCount", h->slot_count);
  o.Set("slotBytes", static_cast<double>(h->slot_bytes));
  o.Set("slotStride", static_cast<double>(h->slot_stride));
  o.Set("payloadOffset", static_cast<double>(h->payload_offset));
  o.Set("width", h->width);
  o.Set("height", h->height);
  o.Set("format", h->format == static_cast<uint32_t>(RingFormat::Rgb24) ? "rgb24" : "data");
  o.Set("blocking", (h->flags & kFlagBlocking) != 0);
  o.Set("writerPid", h->writer_pid);
  o.Set("totalBytes", static_cast<double>(h->total_bytes));
  return o;
}

}  // namespace framering
