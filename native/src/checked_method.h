// Prototype methods and getters that check their receiver before touching the C++ instance.
// Members defined through DefineClass carry a V8 signature, which rejects a foreign receiver with
// a bare "Illegal invocation"; node-addon-api's unwrap would otherwise trust any wrapped object.
// Instead each class tags its instances (napi_type_tag_object), its members are plain prototype
// properties, and a receiver without the tag gets a TypeError with code BPFKIT_INVALID_ARG.
#pragma once
#include <napi.h>

#include <exception>
#include <string>
#include <vector>

#include "errors.h"

namespace bpfkit {

template <typename T>
T* UnwrapChecked(const Napi::CallbackInfo& info) {
  Napi::Value receiver = info.This();
  if (receiver.IsObject()) {
    Napi::Object object = receiver.As<Napi::Object>();
    if (object.CheckTypeTag(&T::kTypeTag)) {
      T* instance = T::Unwrap(object);
      if (instance != nullptr) return instance;
    }
  }
  throw InvalidType(info.Env(), std::string("this must be an instance of ") + T::kClassName);
}

template <typename T, Napi::Value (T::*Method)(const Napi::CallbackInfo&)>
napi_value CheckedCallback(napi_env env, napi_callback_info raw_info) {
  try {
    Napi::CallbackInfo info(env, raw_info);
    return (UnwrapChecked<T>(info)->*Method)(info);
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  } catch (const std::exception& error) {
    Napi::Error::New(env, error.what()).ThrowAsJavaScriptException();
  }
  return nullptr;
}

template <typename T, Napi::Value (T::*Method)(const Napi::CallbackInfo&)>
napi_property_descriptor CheckedMethod(const char* name) {
  return {name, nullptr, CheckedCallback<T, Method>, nullptr, nullptr, nullptr,
          napi_default_method, nullptr};
}

template <typename T, Napi::Value (T::*Getter)(const Napi::CallbackInfo&)>
napi_property_descriptor CheckedGetter(const char* name) {
  return {name, nullptr, nullptr, CheckedCallback<T, Getter>, nullptr, nullptr,
          napi_configurable, nullptr};
}

// The class with `members` on its prototype.
template <typename T>
Napi::Function DefineCheckedClass(Napi::Env env,
                                  const std::vector<napi_property_descriptor>& members) {
  Napi::Function constructor = T::DefineClass(env, T::kClassName, {});
  Napi::Object prototype = constructor.Get("prototype").As<Napi::Object>();
  napi_status status = napi_define_properties(env, prototype, members.size(), members.data());
  NAPI_THROW_IF_FAILED(env, status, Napi::Function());
  return constructor;
}

}  // namespace bpfkit
