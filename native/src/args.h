// Argument checks shared by the classes: each throws a TypeError (wrong type) or RangeError (bad
// value) with code BPFKIT_INVALID_ARG whose message names the argument.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bpfkit {

// The bytes of a Uint8Array (Buffer included), valid while the array is.
struct ByteView {
  const uint8_t* data;
  size_t size;
};

Napi::Object AsObject(Napi::Value value, const std::string& name);
std::string AsString(Napi::Value value, const std::string& name);
bool AsBool(Napi::Value value, const std::string& name);
ByteView AsBytes(Napi::Value value, const std::string& name);
Napi::Function AsFunction(Napi::Value value, const std::string& name);
// An integer number in [min, max].
uint32_t AsUint32(Napi::Value value, const std::string& name, uint32_t min = 0,
                  uint32_t max = UINT32_MAX);
std::vector<std::string> AsStringArray(Napi::Value value, const std::string& name);
// Own enumerable string keys, as Object.keys() lists them.
std::vector<std::string> OwnKeys(Napi::Object object);

}  // namespace bpfkit
