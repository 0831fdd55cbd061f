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
  if (!v.IsString())
    throw MakeError(opts.Env(), "INVALID_ARGUMENT", std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool BoolOption(Napi::Object opts, const char* key, bool fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return v.ToBoolean().Value();
}

Napi::ArrayBuffer CurrentBuffer(Napi::Env env, Mapping* mapping) {
  napi_value value = nullptr;
  napi_get_reference_value(env, static_cast<napi_ref>(mapping->buffer_ref), &value);
  return Napi::ArrayBuffer(env, value);
}

Napi::ArrayBuffer AcquireBuffer(Napi::Env env, Mapping* mapping) {
  if (mapping->buffer_ref) {
    mapping->buffer_users++;
    return CurrentBuffer(env, mapping);
  }
  mapping->Ref();  // the backing store keeps the mapping until V8 lets it go
  // Only the payloads: JavaScript never sees the header, the reader table or the slots' metadata.
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, static_cast<char*>(mapping->addr) + mapping->payload_offset,
                                                mapping->length - mapping->payload_offset,
                                                [](Napi::Env, void*, Mapping* m) { m->Unref(); }, mapping);
  napi_ref ref = nullptr;
  napi_create_reference(env, ab, 1, &ref);
  mapping->buffer_ref = ref;
  mapping->buffer_users = 1;
  return ab;
}

void ReleaseBuffer(Napi::Env env, Mapping* mapping, bool detach) {
  if (!mapping->buffer_ref || --mapping->buffer_users > 0) return;
  if (detach) {
    Napi::HandleScope scope(env);  // also called from finalizers
    Napi::ArrayBuffer ab = CurrentBuffer(env, mapping);
    if (!ab.IsEmpty() && !ab.IsDetached()) ab.Detach();
  }
  napi_delete_reference(env, static_cast<napi_ref>(mapping->buffer_ref));
  mapping->buffer_ref = nullptr;
}

Napi::Object LayoutObject(Napi::Env env, const RingCore& core) {
  const RingGeometry& g = core.geometry();
  Napi::Object o = Napi::Object::New(env);
  o.Set("slotCount", core.slot_count());
  o.Set("slotBytes", static_cast<double>(core.slot_bytes()));
  o.Set("slotStride", static_cast<double>(core.slot_stride()));
  o.Set("width", g.width);
  o.Set("height", g.height);
  o.Set("format", FormatName(static_cast<uint32_t>(g.format)));
  o.Set("blocking", (g.flags & kFlagBlocking) != 0);
  o.Set("writerPid", core.header()->writer_pid);
  o.Set("totalBytes", static_cast<double>(SegmentBytesFor(g)));
  // With the name, the ring's identity: a ring made again under the same name has another creation time.
  o.Set("createdUs", static_cast<double>(core.header()->created_us));
  return o;
}

}  // namespace framering
