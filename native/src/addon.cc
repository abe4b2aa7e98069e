// Module entry: registers the classes and functions of types/native.ts `Native` for each
// environment that loads the addon.
#include <bpf/libbpf.h>
#include <napi.h>

#include <string>

#include "addon_data.h"
#include "bpf_object.h"
#include "embedded_objects.h"
#include "event_reader.h"
#include "layouts.h"
#include "libbpf_log.h"

namespace bpfkit {
namespace {

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::to_string(libbpf_major_version()) + "." +
                                           std::to_string(libbpf_minor_version()));
}

Napi::Value EmbeddedObjectNames(const Napi::CallbackInfo& info) {
  const std::vector<EmbeddedObject>& objects = EmbeddedObjects();
  Napi::Array names = Napi::Array::New(info.Env(), objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    names.Set(static_cast<uint32_t>(i), objects[i].name);
  }
  return names;
}

Napi::Value LayoutsOf(const Napi::CallbackInfo& info) { return Layouts(info.Env()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfPrint();

  Napi::Function bpf_object = BpfObject::Define(env);
  Napi::Function event_reader = EventReader::Define(env);
  AddonData* data = new AddonData();
  data->bpf_object = Napi::Persistent(bpf_object);
  data->event_reader = Napi::Persistent(event_reader);
  env.SetInstanceData(data);

  exports.Set("libbpfVersion", Napi::Function::New<LibbpfVersion>(env, "libbpfVersion"));
  exports.Set("embeddedObjects", Napi::Function::New<EmbeddedObjectNames>(env, "embeddedObjects"));
  exports.Set("layouts", Napi::Function::New<LayoutsOf>(env, "layouts"));
  exports.Set("BpfObject", bpf_object);
  exports.Set("EventReader", event_reader);
  return exports;
}

}  // namespace
}  // namespace bpfkit

// The macro pastes the function name into an identifier, so it must be unqualified.
static Napi::Object InitBpfkit(Napi::Env env, Napi::Object exports) {
  return bpfkit::Init(env, exports);
}

NODE_API_MODULE(bpfkit, InitBpfkit)
