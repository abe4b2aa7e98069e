#include "object_options.h"

#include <climits>

#include "args.h"

namespace bpfkit {

ObjectOptions ParseObjectOptions(Napi::Value value) {
  Napi::Object options = AsObject(value, "options");
  ObjectOptions parsed;
  parsed.object = AsString(options.Get("object"), "options.object");

  Napi::Value programs = options.Get("programs");
  if (!programs.IsUndefined()) parsed.programs = AsStringArray(programs, "options.programs");

  Napi::Value rodata = options.Get("rodata");
  if (!rodata.IsUndefined()) {
    ByteView bytes = AsBytes(rodata, "options.rodata");
    parsed.rodata.emplace(bytes.data, bytes.data + bytes.size);
  }

  Napi::Value map_sizes = options.Get("mapSizes");
  if (!map_sizes.IsUndefined()) {
    Napi::Object sizes = AsObject(map_sizes, "options.mapSizes");
    for (const std::string& map : OwnKeys(sizes)) {
      parsed.map_sizes.emplace_back(map, AsUint32(sizes.Get(map), "options.mapSizes." + map, 1));
    }
  }

  Napi::Value attach_targets = options.Get("attachTargets");
  if (!attach_targets.IsUndefined()) {
    Napi::Object targets = AsObject(attach_targets, "options.attachTargets");
    for (const std::string& program : OwnKeys(targets)) {
      std::string name = "options.attachTargets." + program;
      Napi::Object target = AsObject(targets.Get(program), name);
      AttachTarget parsed_target{program, AsString(target.Get("function"), name + ".function")};
      Napi::Value program_fd = target.Get("programFd");
      if (!program_fd.IsUndefined()) {
        parsed_target.program_fd =
            static_cast<int>(AsUint32(program_fd, name + ".programFd", 0, INT_MAX));
      }
      parsed.attach_targets.push_back(std::move(parsed_target));
    }
  }

  Napi::Value skip_maps = options.Get("skipMaps");
  if (!skip_maps.IsUndefined()) parsed.skip_maps = AsStringArray(skip_maps, "options.skipMaps");

  Napi::Value reuse_maps = options.Get("reuseMaps");
  if (!reuse_maps.IsUndefined()) {
    Napi::Object fds = AsObject(reuse_maps, "options.reuseMaps");
    for (const std::string& map : OwnKeys(fds)) {
      parsed.reuse_maps.emplace_back(
          map, static_cast<int>(AsUint32(fds.Get(map), "options.reuseMaps." + map, 0, INT_MAX)));
    }
  }
  return parsed;
}

}  // namespace bpfkit
