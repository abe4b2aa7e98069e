// sizeof/offsetof of the structs shared with the BPF programs, exported so the TS decoders can
// check their offsets against what the C compiler laid out.
#pragma once
#include <napi.h>

namespace bpfkit {

Napi::Object Layouts(Napi::Env env);

}  // namespace bpfkit
