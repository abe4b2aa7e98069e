// State of one Node.js environment (the main thread or a worker): the addon may be loaded by
// several at once, so nothing here is global.
#pragma once
#include <napi.h>

namespace bpfkit {

struct AddonData {
  Napi::FunctionReference bpf_object;
  Napi::FunctionReference event_reader;
};

}  // namespace bpfkit
