#include "bpf_object.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "args.h"
#include "attach_spec.h"
#include "checked_method.h"
#include "embedded_objects.h"
#include "errors.h"
#include "libbpf_log.h"
#include "object_options.h"

namespace bpfkit {

const napi_type_tag BpfObject::kTypeTag = {0x6270666b69744f62ULL, 0x8d1f3a52c07e4b19ULL};

namespace {

struct ObjectCloser {
  void operator()(bpf_object* object) const { bpf_object__close(object); }
};
using ObjectHandle = std::unique_ptr<bpf_object, ObjectCloser>;

void DestroyResources(bpf_object* object, std::vector<bpf_link*>& links) {
  for (bpf_link* link : links) bpf_link__destroy(link);
  links.clear();
  bpf_object__close(object);
}

std::vector<std::string> ProgramNames(const bpf_object* object) {
  std::vector<std::string> names;
  bpf_program* program;
  bpf_object__for_each_program(program, object) names.push_back(bpf_program__name(program));
  return names;
}

std::vector<std::string> MapNames(const bpf_object* object) {
  std::vector<std::string> names;
  bpf_map* map;
  bpf_object__for_each_map(map, object) names.push_back(bpf_map__name(map));
  return names;
}

std::vector<std::string> EmbeddedObjectNames() {
  std::vector<std::string> names;
  for (const EmbeddedObject& object : EmbeddedObjects()) names.push_back(object.name);
  return names;
}

bpf_program* FindProgram(Napi::Env env, bpf_object* object, const std::string& name) {
  bpf_program* program = bpf_object__find_program_by_name(object, name.c_str());
  if (program == nullptr) throw NotFound(env, "program", name, ProgramNames(object));
  return program;
}

bpf_map* FindMap(Napi::Env env, bpf_object* object, const std::string& name) {
  bpf_map* map = bpf_object__find_map_by_name(object, name.c_str());
  if (map == nullptr) throw NotFound(env, "map", name, MapNames(object));
  return map;
}

// The object's own read-only globals: libbpf names the map "<object prefix>.rodata"; sections
// such as .rodata.str1.1 hold string literals and are not settable.
bpf_map* FindRodata(bpf_object* object) {
  static constexpr char kSuffix[] = ".rodata";
  constexpr size_t kSuffixLength = sizeof kSuffix - 1;
  bpf_map* map;
  bpf_object__for_each_map(map, object) {
    if (!bpf_map__is_internal(map)) continue;
    std::string name = bpf_map__name(map);
    if (name.size() >= kSuffixLength &&
        name.compare(name.size() - kSuffixLength, kSuffixLength, kSuffix) == 0) {
      return map;
    }
  }
  return nullptr;
}

size_t RodataSize(bpf_object* object) {
  bpf_map* rodata = FindRodata(object);
  if (rodata == nullptr) return 0;
  size_t size = 0;
  bpf_map__initial_value(rodata, &size);
  return size;
}

void Configure(Napi::Env env, bpf_object* object, const ObjectOptions& options,
               const LogCapture& capture) {
  if (options.programs) {
    std::unordered_set<const bpf_program*> wanted;
    for (const std::string& name : *options.programs) wanted.insert(FindProgram(env, object, name));
    bpf_program* program;
    bpf_object__for_each_program(program, object) {
      bpf_program__set_autoload(program, wanted.count(program) != 0);
    }
  }

  if (options.rodata) {
    bpf_map* rodata = FindRodata(object);
    if (rodata == nullptr) {
      throw InvalidValue(env, "options.rodata given, but object \"" + options.object +
                                  "\" has no .rodata section");
    }
    size_t expected = RodataSize(object);
    if (options.rodata->size() != expected) {
      throw InvalidValue(env, "options.rodata must be exactly " + std::to_string(expected) +
                                  " bytes (got " + std::to_string(options.rodata->size()) + ")");
    }
    int error = bpf_map__set_initial_value(rodata, options.rodata->data(), expected);
    if (error != 0) throw ErrnoError(env, error, "bpf_map__set_initial_value", capture.Text());
  }

  for (const auto& [name, size] : options.map_sizes) {
    int error = bpf_map__set_max_entries(FindMap(env, object, name), size);
    if (error != 0) throw ErrnoError(env, error, "bpf_map__set_max_entries", capture.Text());
  }

  for (const std::string& name : options.skip_maps) {
    int error = bpf_map__set_autocreate(FindMap(env, object, name), false);
    if (error != 0) throw ErrnoError(env, error, "bpf_map__set_autocreate", capture.Text());
  }

  // After the size overrides: reusing a map takes its definition from the existing map.
  for (const auto& [name, fd] : options.reuse_maps) {
    int error = bpf_map__reuse_fd(FindMap(env, object, name), fd);
    if (error != 0) throw ErrnoError(env, error, "bpf_map__reuse_fd", capture.Text());
  }

  for (const AttachTarget& target : options.attach_targets) {
    int error = bpf_program__set_attach_target(FindProgram(env, object, target.program),
                                               target.program_fd, target.function.c_str());
    if (error != 0) throw ErrnoError(env, error, "bpf_program__set_attach_target", capture.Text());
  }
}

bool IsPerCpu(const bpf_map* map) {
  switch (bpf_map__type(map)) {
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      return true;
    default:
      return false;
  }
}

int PossibleCpus(Napi::Env env) {
  int cpus = libbpf_num_possible_cpus();
  if (cpus < 0) throw ErrnoError(env, cpus, "libbpf_num_possible_cpus");
  return cpus;
}

// What a lookup copies out: per-CPU maps hand back one 8-byte-aligned slot per possible CPU.
size_t ValueBufferSize(Napi::Env env, const bpf_map* map) {
  size_t value_size = bpf_map__value_size(map);
  if (!IsPerCpu(map)) return value_size;
  return ((value_size + 7) & ~size_t{7}) * static_cast<size_t>(PossibleCpus(env));
}

ByteView SizedBytes(Napi::Value value, const char* name, size_t expected) {
  ByteView bytes = AsBytes(value, name);
  if (bytes.size != expected) {
    throw InvalidValue(value.Env(), std::string(name) + " must be exactly " +
                                        std::to_string(expected) + " bytes (got " +
                                        std::to_string(bytes.size) + ")");
  }
  return bytes;
}

Napi::Uint8Array CopyToArray(Napi::Env env, const uint8_t* data, size_t size) {
  Napi::Uint8Array array = Napi::Uint8Array::New(env, size);
  if (size > 0) std::memcpy(array.Data(), data, size);
  return array;
}

}  // namespace

// Runs link detach (which waits for an RCU grace period) and object close off the JS thread.
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, BpfObject* owner, bpf_object* object, std::vector<bpf_link*> links)
      : Napi::AsyncWorker(env, "bpfkit:BpfObject.closeAsync"),
        owner_(owner),
        object_(object),
        links_(std::move(links)) {}

  void AddDone(Napi::Function done) { dones_.push_back(Napi::Persistent(done)); }
  // The owner was finalized first (environment teardown): forget it.
  void Orphan() { owner_ = nullptr; }

  void Execute() override {
    if (object_ != nullptr) DestroyResources(object_, links_);
  }

  void OnOK() override {
    if (owner_ != nullptr && owner_->pending_close_ == this) owner_->pending_close_ = nullptr;
    // Every waiter gets called even if an earlier one throws; the first exception wins.
    std::unique_ptr<Napi::Error> first_error;
    for (Napi::FunctionReference& done : dones_) {
      try {
        done.Call({});
      } catch (const Napi::Error& error) {
        if (!first_error) first_error = std::make_unique<Napi::Error>(error);
      }
    }
    if (first_error) throw *first_error;
  }

 private:
  BpfObject* owner_;
  bpf_object* object_;
  std::vector<bpf_link*> links_;
  std::vector<Napi::FunctionReference> dones_;
};

Napi::Function BpfObject::Define(Napi::Env env) {
  return DefineCheckedClass<BpfObject>(
      env, {
          CheckedMethod<BpfObject, &BpfObject::Load>("load"),
          CheckedMethod<BpfObject, &BpfObject::Attach>("attach"),
          CheckedMethod<BpfObject, &BpfObject::Detach>("detach"),
          CheckedMethod<BpfObject, &BpfObject::ProgramFd>("programFd"),
          CheckedMethod<BpfObject, &BpfObject::ProgramId>("programId"),
          CheckedMethod<BpfObject, &BpfObject::MapFd>("mapFd"),
          CheckedMethod<BpfObject, &BpfObject::MapInfo>("mapInfo"),
          CheckedMethod<BpfObject, &BpfObject::MapLookup>("mapLookup"),
          CheckedMethod<BpfObject, &BpfObject::MapUpdate>("mapUpdate"),
          CheckedMethod<BpfObject, &BpfObject::MapDelete>("mapDelete"),
          CheckedMethod<BpfObject, &BpfObject::MapKeys>("mapKeys"),
          CheckedMethod<BpfObject, &BpfObject::Close>("close"),
          CheckedMethod<BpfObject, &BpfObject::CloseAsync>("closeAsync"),
          CheckedGetter<BpfObject, &BpfObject::GetRodataSize>("rodataSize"),
          CheckedGetter<BpfObject, &BpfObject::GetClosed>("closed"),
      });
}

BpfObject::BpfObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<BpfObject>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  ObjectOptions options = ParseObjectOptions(info[0]);

  const EmbeddedObject* embedded = FindEmbeddedObject(options.object);
  if (embedded == nullptr) throw NotFound(env, "object", options.object, EmbeddedObjectNames());
  name_ = embedded->name;
  size_t size = 0;
  const void* bytes = embedded->elf_bytes(&size);

  LogCapture capture;
  bpf_object_open_opts open_options{};
  open_options.sz = sizeof open_options;
  open_options.object_name = embedded->name;
  ObjectHandle object(bpf_object__open_mem(bytes, size, &open_options));
  if (!object) {
    int error = errno;
    throw ErrnoError(env, error, "bpf_object__open_mem", capture.Text());
  }
  Configure(env, object.get(), options, capture);

  rodata_size_ = RodataSize(object.get());
  object_ = object.release();
  napi_status status = napi_add_env_cleanup_hook(env, OnEnvironmentTeardown, this);
  cleanup_hook_added_ = status == napi_ok;
}

BpfObject::~BpfObject() {
  if (pending_close_ != nullptr) pending_close_->Orphan();
  CloseNow();
}

void BpfObject::OnEnvironmentTeardown(void* self) {
  BpfObject* object = static_cast<BpfObject*>(self);
  // The hook is being consumed; removing it now would be an error.
  object->cleanup_hook_added_ = false;
  object->CloseNow();
}

void BpfObject::TakeResources(bpf_object** object, std::vector<bpf_link*>* links) {
  closed_ = true;
  if (cleanup_hook_added_) {
    napi_remove_env_cleanup_hook(env_, OnEnvironmentTeardown, this);
    cleanup_hook_added_ = false;
  }
  *object = object_;
  object_ = nullptr;
  *links = std::move(links_);
  links_.clear();
}

void BpfObject::CloseNow() {
  if (closed_) return;
  bpf_object* object;
  std::vector<bpf_link*> links;
  TakeResources(&object, &links);
  DestroyResources(object, links);
}

void BpfObject::EnsureOpen(Napi::Env env) const {
  if (closed_) throw Closed(env, kClassName);
}

bpf_program* BpfObject::ProgramArg(const Napi::CallbackInfo& info, size_t index) const {
  EnsureOpen(info.Env());
  std::string name = AsString(info[index], "program");
  return FindProgram(info.Env(), object_, name);
}

bpf_map* BpfObject::MapArg(const Napi::CallbackInfo& info, size_t index) const {
  EnsureOpen(info.Env());
  std::string name = AsString(info[index], "map");
  return FindMap(info.Env(), object_, name);
}

Napi::Value BpfObject::Load(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  LogCapture capture;
  int error = bpf_object__load(object_);
  if (error != 0) throw ErrnoError(info.Env(), error, "bpf_object__load", capture.Text());
  return info.Env().Undefined();
}

Napi::Value BpfObject::Attach(const Napi::CallbackInfo& info) {
  bpf_program* program = ProgramArg(info, 0);
  AttachSpec spec = ParseAttachSpec(info[1]);
  LogCapture capture;
  AttachResult result = AttachProgram(program, spec);
  if (result.link == nullptr) throw ErrnoError(info.Env(), result.error, result.op, capture.Text());
  links_.push_back(result.link);
  return Napi::Number::New(info.Env(), static_cast<double>(links_.size() - 1));
}

Napi::Value BpfObject::Detach(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  uint32_t id = AsUint32(info[0], "link");
  if (id >= links_.size()) {
    throw InvalidValue(info.Env(), "link " + std::to_string(id) + " was not returned by attach()");
  }
  bpf_link* link = links_[id];
  if (link == nullptr) return info.Env().Undefined();
  links_[id] = nullptr;
  int error = bpf_link__destroy(link);
  if (error != 0) throw ErrnoError(info.Env(), error, "bpf_link__destroy");
  return info.Env().Undefined();
}

Napi::Value BpfObject::ProgramFd(const Napi::CallbackInfo& info) {
  int fd = bpf_program__fd(ProgramArg(info, 0));
  if (fd < 0) throw ErrnoError(info.Env(), fd, "bpf_program__fd");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value BpfObject::ProgramId(const Napi::CallbackInfo& info) {
  int fd = bpf_program__fd(ProgramArg(info, 0));
  if (fd < 0) throw ErrnoError(info.Env(), fd, "bpf_program__fd");
  bpf_prog_info prog_info{};
  __u32 length = sizeof prog_info;
  int error = bpf_prog_get_info_by_fd(fd, &prog_info, &length);
  if (error != 0) throw ErrnoError(info.Env(), error, "bpf_prog_get_info_by_fd");
  return Napi::Number::New(info.Env(), prog_info.id);
}

Napi::Value BpfObject::MapFd(const Napi::CallbackInfo& info) {
  int fd = bpf_map__fd(MapArg(info, 0));
  if (fd < 0) throw ErrnoError(info.Env(), fd, "bpf_map__fd");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value BpfObject::MapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map* map = MapArg(info, 0);
  Napi::Object result = Napi::Object::New(env);
  result.Set("type", static_cast<double>(bpf_map__type(map)));
  result.Set("keySize", bpf_map__key_size(map));
  result.Set("valueSize", bpf_map__value_size(map));
  result.Set("maxEntries", bpf_map__max_entries(map));
  result.Set("possibleCpus", PossibleCpus(env));
  return result;
}

Napi::Value BpfObject::MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map* map = MapArg(info, 0);
  ByteView key = SizedBytes(info[1], "key", bpf_map__key_size(map));
  std::vector<uint8_t> value(ValueBufferSize(env, map));
  int error = bpf_map__lookup_elem(map, key.data, key.size, value.data(), value.size(), 0);
  if (error == -ENOENT) return env.Null();
  if (error != 0) throw ErrnoError(env, error, "bpf_map__lookup_elem");
  return CopyToArray(env, value.data(), value.size());
}

Napi::Value BpfObject::MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map* map = MapArg(info, 0);
  ByteView key = SizedBytes(info[1], "key", bpf_map__key_size(map));
  ByteView value = SizedBytes(info[2], "value", ValueBufferSize(env, map));
  int error = bpf_map__update_elem(map, key.data, key.size, value.data, value.size, BPF_ANY);
  if (error != 0) throw ErrnoError(env, error, "bpf_map__update_elem");
  return env.Undefined();
}

Napi::Value BpfObject::MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map* map = MapArg(info, 0);
  ByteView key = SizedBytes(info[1], "key", bpf_map__key_size(map));
  int error = bpf_map__delete_elem(map, key.data, key.size, 0);
  if (error == -ENOENT) return Napi::Boolean::New(env, false);
  if (error != 0) throw ErrnoError(env, error, "bpf_map__delete_elem");
  return Napi::Boolean::New(env, true);
}

Napi::Value BpfObject::MapKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map* map = MapArg(info, 0);
  size_t key_size = bpf_map__key_size(map);
  std::vector<uint8_t> previous(key_size);
  std::vector<uint8_t> next(key_size);
  Napi::Array keys = Napi::Array::New(env);
  // When BPF deletes the key we stand on, the walk restarts from the first key; bounding it by
  // max_entries keeps a busy map from looping forever.
  uint32_t limit = bpf_map__max_entries(map);
  for (uint32_t count = 0; count < limit; ++count) {
    int error = bpf_map__get_next_key(map, count == 0 ? nullptr : previous.data(), next.data(),
                                      key_size);
    if (error == -ENOENT) break;
    if (error != 0) throw ErrnoError(env, error, "bpf_map__get_next_key");
    keys.Set(count, CopyToArray(env, next.data(), key_size));
    previous.swap(next);
  }
  return keys;
}

Napi::Value BpfObject::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

Napi::Value BpfObject::CloseAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function done = AsFunction(info[0], "done");
  if (pending_close_ != nullptr) {
    pending_close_->AddDone(done);
    return env.Undefined();
  }
  bpf_object* object = nullptr;
  std::vector<bpf_link*> links;
  // Already closed: the worker has nothing to free but still calls done asynchronously.
  if (!closed_) TakeResources(&object, &links);
  CloseWorker* worker = new CloseWorker(env, this, object, std::move(links));
  worker->AddDone(done);
  if (object != nullptr) pending_close_ = worker;
  worker->Queue();
  return env.Undefined();
}

Napi::Value BpfObject::GetRodataSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(rodata_size_));
}

Napi::Value BpfObject::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

}  // namespace bpfkit
