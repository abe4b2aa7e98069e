// Maps an object name to the ELF bytes its generated skeleton carries.
#include "embedded_objects.h"

#include <linux/types.h>

// trace.skel.h declares its .rodata with trace.h's struct trace_func.
#include "trace.h"

// The skeletons are generated per architecture by scripts/gen-skeletons.sh.
#if defined(__x86_64__)
#include "skel/x64/bench.skel.h"
#include "skel/x64/deletes.skel.h"
#include "skel/x64/netlink.skel.h"
#include "skel/x64/netlink_trace.skel.h"
#include "skel/x64/probe.skel.h"
#include "skel/x64/prog_trace.skel.h"
#include "skel/x64/tcprtt.skel.h"
#include "skel/x64/trace.skel.h"
#else
#error "bpfkit has BPF skeletons for x86_64 only"
#endif

namespace bpfkit {

const std::vector<EmbeddedObject>& EmbeddedObjects() {
  static const std::vector<EmbeddedObject> objects = {
      // the benchmark's producers (bench/bpf/bench.bpf.c), for `npm run bench`
      {"bench", bench__elf_bytes},
      {"deletes", deletes__elf_bytes},
      {"netlink", netlink__elf_bytes},
      {"netlink_trace", netlink_trace__elf_bytes},
      {"probe", probe__elf_bytes},
      {"prog_trace", prog_trace__elf_bytes},
      {"tcprtt", tcprtt__elf_bytes},
      {"trace", trace__elf_bytes},
  };
  return objects;
}

const EmbeddedObject* FindEmbeddedObject(const std::string& name) {
  for (const EmbeddedObject& object : EmbeddedObjects()) {
    if (name == object.name) return &object;
  }
  return nullptr;
}

}  // namespace bpfkit
