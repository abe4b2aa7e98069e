// AttachSpec (types/native.ts): parsed from JavaScript, then turned into the matching libbpf
// attach call.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <string>
#include <vector>

namespace bpfkit {

struct AttachSpec {
  enum class Kind { kAuto, kKprobe, kKprobeMulti, kTracepoint, kRawTracepoint };
  Kind kind = Kind::kAuto;
  std::string function;                // kprobe
  std::vector<std::string> functions;  // kprobe.multi
  bool retprobe = false;               // kprobe, kprobe.multi
  std::string category;                // tracepoint
  std::string name;                    // tracepoint, raw_tp
};

AttachSpec ParseAttachSpec(Napi::Value value);

struct AttachResult {
  bpf_link* link;  // null on failure
  int error;       // positive errno when link is null
  const char* op;  // the libbpf function called
};

AttachResult AttachProgram(bpf_program* program, const AttachSpec& spec);

}  // namespace bpfkit
