#include "args.h"

#include <cmath>

#include "errors.h"

namespace bpfkit {

Napi::Object AsObject(Napi::Value value, const std::string& name) {
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) {
    throw InvalidType(value.Env(), name + " must be an object");
  }
  return value.As<Napi::Object>();
}

std::string AsString(Napi::Value value, const std::string& name) {
  if (!value.IsString()) throw InvalidType(value.Env(), name + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

bool AsBool(Napi::Value value, const std::string& name) {
  if (!value.IsBoolean()) throw InvalidType(value.Env(), name + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

ByteView AsBytes(Napi::Value value, const std::string& name) {
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw InvalidType(value.Env(), name + " must be a Uint8Array");
  }
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  return ByteView{array.Data(), array.ElementLength()};
}

Napi::Function AsFunction(Napi::Value value, const std::string& name) {
  if (!value.IsFunction()) throw InvalidType(value.Env(), name + " must be a function");
  return value.As<Napi::Function>();
}

uint32_t AsUint32(Napi::Value value, const std::string& name, uint32_t min, uint32_t max) {
  if (!value.IsNumber()) throw InvalidType(value.Env(), name + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number || number < min || number > max) {
    throw InvalidValue(value.Env(), name + " must be an integer from " + std::to_string(min) +
                                        " to " + std::to_string(max) + " (got " +
                                        value.ToString().Utf8Value() + ")");
  }
  return static_cast<uint32_t>(number);
}

std::vector<std::string> AsStringArray(Napi::Value value, const std::string& name) {
  if (!value.IsArray()) throw InvalidType(value.Env(), name + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  strings.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    strings.push_back(AsString(array.Get(i), name + "[" + std::to_string(i) + "]"));
  }
  return strings;
}

std::vector<std::string> OwnKeys(Napi::Object object) {
  napi_value raw_keys;
  napi_status status = napi_get_all_property_names(
      object.Env(), object, napi_key_own_only,
      static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
      napi_key_numbers_to_strings, &raw_keys);
  NAPI_THROW_IF_FAILED(object.Env(), status, {});
  Napi::Array keys(object.Env(), raw_keys);
  std::vector<std::string> names;
  names.reserve(keys.Length());
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    names.push_back(keys.Get(i).As<Napi::String>().Utf8Value());
  }
  return names;
}

}  // namespace bpfkit
