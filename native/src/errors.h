// Every error the addon throws carries `code`; kernel and libbpf failures also carry `errno`, `op`
// and, when libbpf said something, `log` (see types/native.ts NativeErrorFields).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

namespace bpfkit {

// "EPERM" for 1; "E<number>" for values the table does not know.
std::string ErrnoName(int error_number);

// `error_number` may be given as libbpf returns it (negative) or as errno holds it (positive).
Napi::Error ErrnoError(Napi::Env env, int error_number, const char* op, const std::string& log = {});

// Bad argument type: a TypeError with code BPFKIT_INVALID_ARG.
Napi::Error InvalidType(Napi::Env env, const std::string& message);
// Argument of the right type but an unusable value: a RangeError with code BPFKIT_INVALID_ARG.
Napi::Error InvalidValue(Napi::Env env, const std::string& message);
// Use after close(): code BPFKIT_CLOSED.
Napi::Error Closed(Napi::Env env, const char* class_name);
// An unknown object, program or map name: code BPFKIT_NOT_FOUND, the message lists valid names.
Napi::Error NotFound(Napi::Env env, const std::string& kind, const std::string& name,
                     const std::vector<std::string>& valid);

}  // namespace bpfkit
