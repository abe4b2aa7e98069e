// The pre-compiled BPF objects the addon carries, taken from the committed skeletons.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace bpfkit {

struct EmbeddedObject {
  const char* name;
  const void* (*elf_bytes)(size_t* size);
};

const std::vector<EmbeddedObject>& EmbeddedObjects();
const EmbeddedObject* FindEmbeddedObject(const std::string& name);

}  // namespace bpfkit
