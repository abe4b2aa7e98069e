// ObjectOpenOptions (types/native.ts) checked and copied out of JavaScript, so that every type
// error is thrown before libbpf sees anything.
#pragma once
#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bpfkit {

struct AttachTarget {
  std::string program;
  std::string function;
  // 0 targets the kernel (vmlinux BTF) rather than another BPF program.
  int program_fd = 0;
};

struct ObjectOptions {
  std::string object;
  std::optional<std::vector<std::string>> programs;
  std::optional<std::vector<uint8_t>> rodata;
  std::vector<std::pair<std::string, uint32_t>> map_sizes;
  std::vector<AttachTarget> attach_targets;
  std::vector<std::string> skip_maps;
  // Maps that use an existing map fd (another object's) instead of creating their own.
  std::vector<std::pair<std::string, int>> reuse_maps;
};

ObjectOptions ParseObjectOptions(Napi::Value value);

}  // namespace bpfkit
