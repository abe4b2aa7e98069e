// BpfObject: one embedded BPF object, opened with options, loaded, attached, and its maps read.
// Owns the bpf_object and every link made from it; close() (or closeAsync(), or the environment
// going away) releases them, links first.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <string>
#include <vector>

namespace bpfkit {

class CloseWorker;

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static constexpr const char* kClassName = "BpfObject";
  static const napi_type_tag kTypeTag;

  static Napi::Function Define(Napi::Env env);

  explicit BpfObject(const Napi::CallbackInfo& info);
  ~BpfObject() override;

 private:
  friend class CloseWorker;

  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value ProgramFd(const Napi::CallbackInfo& info);
  Napi::Value ProgramId(const Napi::CallbackInfo& info);
  Napi::Value MapFd(const Napi::CallbackInfo& info);
  Napi::Value MapInfo(const Napi::CallbackInfo& info);
  Napi::Value MapLookup(const Napi::CallbackInfo& info);
  Napi::Value MapUpdate(const Napi::CallbackInfo& info);
  Napi::Value MapDelete(const Napi::CallbackInfo& info);
  Napi::Value MapKeys(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CloseAsync(const Napi::CallbackInfo& info);
  Napi::Value GetRodataSize(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  void EnsureOpen(Napi::Env env) const;
  bpf_program* ProgramArg(const Napi::CallbackInfo& info, size_t index) const;
  bpf_map* MapArg(const Napi::CallbackInfo& info, size_t index) const;
  // Marks the object closed and hands its kernel resources to the caller.
  void TakeResources(bpf_object** object, std::vector<bpf_link*>* links);
  void CloseNow();
  static void OnEnvironmentTeardown(void* self);

  napi_env env_;
  std::string name_;
  bpf_object* object_ = nullptr;
  // Indexed by link id; detached links leave a null so ids stay stable.
  std::vector<bpf_link*> links_;
  size_t rodata_size_ = 0;
  bool closed_ = false;
  bool cleanup_hook_added_ = false;
  // Set while closeAsync() work runs, so later closeAsync() calls wait for it too.
  CloseWorker* pending_close_ = nullptr;
};

}  // namespace bpfkit
