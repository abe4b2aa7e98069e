#include "attach_spec.h"

#include <cerrno>

#include "args.h"
#include "errors.h"

namespace bpfkit {

AttachSpec ParseAttachSpec(Napi::Value value) {
  Napi::Object object = AsObject(value, "spec");
  std::string kind = AsString(object.Get("kind"), "spec.kind");
  AttachSpec spec;
  if (kind == "auto") {
    spec.kind = AttachSpec::Kind::kAuto;
  } else if (kind == "kprobe") {
    spec.kind = AttachSpec::Kind::kKprobe;
    spec.function = AsString(object.Get("function"), "spec.function");
    spec.retprobe = AsBool(object.Get("retprobe"), "spec.retprobe");
  } else if (kind == "kprobe.multi") {
    spec.kind = AttachSpec::Kind::kKprobeMulti;
    spec.functions = AsStringArray(object.Get("functions"), "spec.functions");
    if (spec.functions.empty()) throw InvalidValue(value.Env(), "spec.functions must not be empty");
    spec.retprobe = AsBool(object.Get("retprobe"), "spec.retprobe");
  } else if (kind == "tracepoint") {
    spec.kind = AttachSpec::Kind::kTracepoint;
    spec.category = AsString(object.Get("category"), "spec.category");
    spec.name = AsString(object.Get("name"), "spec.name");
  } else if (kind == "raw_tp") {
    spec.kind = AttachSpec::Kind::kRawTracepoint;
    spec.name = AsString(object.Get("name"), "spec.name");
  } else {
    throw InvalidValue(value.Env(), "spec.kind must be one of auto, kprobe, kprobe.multi, "
                                    "tracepoint, raw_tp (got \"" + kind + "\")");
  }
  return spec;
}

AttachResult AttachProgram(bpf_program* program, const AttachSpec& spec) {
  AttachResult result{nullptr, 0, nullptr};
  errno = 0;
  switch (spec.kind) {
    case AttachSpec::Kind::kAuto:
      result.op = "bpf_program__attach";
      result.link = bpf_program__attach(program);
      break;
    case AttachSpec::Kind::kKprobe: {
      result.op = "bpf_program__attach_kprobe_opts";
      bpf_kprobe_opts options{};
      options.sz = sizeof options;
      options.retprobe = spec.retprobe;
      result.link = bpf_program__attach_kprobe_opts(program, spec.function.c_str(), &options);
      break;
    }
    case AttachSpec::Kind::kKprobeMulti: {
      result.op = "bpf_program__attach_kprobe_multi_opts";
      std::vector<const char*> symbols;
      symbols.reserve(spec.functions.size());
      for (const std::string& function : spec.functions) symbols.push_back(function.c_str());
      bpf_kprobe_multi_opts options{};
      options.sz = sizeof options;
      options.syms = symbols.data();
      options.cnt = symbols.size();
      options.retprobe = spec.retprobe;
      result.link = bpf_program__attach_kprobe_multi_opts(program, nullptr, &options);
      break;
    }
    case AttachSpec::Kind::kTracepoint:
      result.op = "bpf_program__attach_tracepoint";
      result.link =
          bpf_program__attach_tracepoint(program, spec.category.c_str(), spec.name.c_str());
      break;
    case AttachSpec::Kind::kRawTracepoint:
      result.op = "bpf_program__attach_raw_tracepoint";
      result.link = bpf_program__attach_raw_tracepoint(program, spec.name.c_str());
      break;
  }
  // libbpf >= 1.0 reports a failed attach as NULL with errno set.
  if (result.link == nullptr) result.error = errno != 0 ? errno : EINVAL;
  return result;
}

}  // namespace bpfkit
