// sizeof/offsetof of the structs shared with the BPF programs, and of each object's .rodata (the
// targ_* options user space writes before load), as layouts()[struct][field] plus [struct].__size.
// Constants of the shared headers are under layouts().constants.
#include "layouts.h"

#include <linux/types.h>

#include <cstddef>
#include <type_traits>

#include "deletes.h"
#include "netlink.h"
#include "prog_trace.h"
#include "tcprtt.h"
#include "trace.h"

#if defined(__x86_64__)
#include "skel/x64/bench.skel.h"
#include "skel/x64/deletes.skel.h"
#include "skel/x64/netlink.skel.h"
#include "skel/x64/netlink_trace.skel.h"
#include "skel/x64/prog_trace.skel.h"
#include "skel/x64/tcprtt.skel.h"
#include "skel/x64/trace.skel.h"
#else
#error "bpfkit has BPF skeletons for x86_64 only"
#endif

namespace bpfkit {
namespace {

// The skeleton declares each .rodata layout as a struct nested in the skeleton struct.
template <typename Skeleton>
using Rodata = std::remove_pointer_t<decltype(Skeleton::rodata)>;

// LAYOUT(key, type) opens a block that FIELD(name) lines fill and END_LAYOUT closes.
#define LAYOUT(key, type)                         \
  {                                               \
    using T = type;                               \
    const char* layout_key = key;                 \
    Napi::Object fields = Napi::Object::New(env); \
    fields.Set("__size", sizeof(T));
// Each field also gets "<name>.size": rodata images are written by name and need the width.
#define FIELD(name)                               \
  fields.Set(#name, offsetof(T, name));           \
  fields.Set(#name ".size", sizeof(static_cast<T*>(nullptr)->name));
#define END_LAYOUT             \
  result.Set(layout_key, fields); \
  }

void AddEventLayouts(Napi::Env env, Napi::Object result) {
  LAYOUT("delete_event", struct delete_event)
  FIELD(ts_ns)
  FIELD(latency_ns)
  FIELD(pid)
  FIELD(tid)
  FIELD(uid)
  FIELD(dfd)
  FIELD(ret)
  FIELD(source)
  FIELD(op)
  FIELD(syscall)
  FIELD(filename_truncated)
  FIELD(comm)
  FIELD(filename)
  END_LAYOUT

  LAYOUT("hist_key", struct hist_key)
  FIELD(family)
  FIELD(addr)
  END_LAYOUT

  LAYOUT("hist", struct hist)
  FIELD(latency_sum)
  FIELD(count)
  FIELD(slots)
  END_LAYOUT

  LAYOUT("netlink_event", struct netlink_event)
  FIELD(ts_ns)
  FIELD(pid)
  FIELD(tid)
  FIELD(retval)
  FIELD(source)
  FIELD(truncated)
  FIELD(message_len)
  FIELD(comm)
  FIELD(message)
  END_LAYOUT

  LAYOUT("prog_call_event", struct prog_call_event)
  FIELD(ts_ns)
  FIELD(pid)
  FIELD(tid)
  FIELD(retval)
  FIELD(cpu)
  FIELD(kind)
  FIELD(comm)
  END_LAYOUT

  LAYOUT("trace_event", struct trace_event)
  FIELD(ts_ns)
  FIELD(latency_ns)
  FIELD(args)
  FIELD(ret)
  FIELD(pid)
  FIELD(tid)
  FIELD(cpu)
  FIELD(func)
  FIELD(source)
  FIELD(nargs)
  FIELD(read_status)
  FIELD(comm)
  FIELD(reads)
  END_LAYOUT

  LAYOUT("trace_func", struct trace_func)
  FIELD(reads)
  FIELD(pred_arg)
  FIELD(pred_size)
  FIELD(pred_signed)
  END_LAYOUT

  LAYOUT("trace_read", struct trace_read)
  FIELD(offsets)
  FIELD(arg)
  FIELD(kind)
  FIELD(depth)
  FIELD(size)
  END_LAYOUT
}

void AddRodataLayouts(Napi::Env env, Napi::Object result) {
  LAYOUT("trace.rodata", Rodata<struct trace>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  FIELD(targ_tgid)
  FIELD(targ_comm)
  FIELD(targ_pred_op)
  FIELD(targ_pred_value)
  FIELD(targ_func_count)
  FIELD(targ_func_ips)
  FIELD(targ_funcs)
  END_LAYOUT

  LAYOUT("bench.rodata", Rodata<struct bench>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  FIELD(targ_tgid)
  END_LAYOUT

  LAYOUT("deletes.rodata", Rodata<struct deletes>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  FIELD(targ_tgid)
  FIELD(targ_filter_uid)
  FIELD(targ_uid)
  FIELD(targ_comm)
  FIELD(targ_prefix)
  FIELD(targ_prefix_len)
  END_LAYOUT

  LAYOUT("netlink.rodata", Rodata<struct netlink>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  FIELD(targ_quiet)
  END_LAYOUT

  LAYOUT("netlink_trace.rodata", Rodata<struct netlink_trace>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  END_LAYOUT

  LAYOUT("prog_trace.rodata", Rodata<struct prog_trace>)
  FIELD(targ_use_perf)
  FIELD(targ_wakeup_every)
  END_LAYOUT

  LAYOUT("tcprtt.rodata", Rodata<struct tcprtt>)
  FIELD(targ_family)
  FIELD(targ_sport)
  FIELD(targ_dport)
  FIELD(targ_saddr)
  FIELD(targ_daddr)
  FIELD(targ_saddr_v6)
  FIELD(targ_daddr_v6)
  FIELD(targ_laddr_hist)
  FIELD(targ_raddr_hist)
  FIELD(targ_ms)
  END_LAYOUT
}

#undef LAYOUT
#undef FIELD
#undef END_LAYOUT

#define CONSTANT(name) constants.Set(#name, name);

void AddConstants(Napi::Env env, Napi::Object result) {
  Napi::Object constants = Napi::Object::New(env);
  CONSTANT(TASK_COMM_LEN)
  CONSTANT(DELETE_FILENAME_MAX)
  CONSTANT(DELETE_PREFIX_MAX)
  CONSTANT(DELETE_SOURCE_FENTRY)
  CONSTANT(DELETE_SOURCE_KPROBE)
  CONSTANT(DELETE_SOURCE_TRACEPOINT)
  CONSTANT(DELETE_OP_UNLINK)
  CONSTANT(DELETE_OP_RMDIR)
  CONSTANT(DELETE_SYSCALL_UNKNOWN)
  CONSTANT(DELETE_SYSCALL_UNLINK)
  CONSTANT(DELETE_SYSCALL_UNLINKAT)
  CONSTANT(DELETE_SYSCALL_RMDIR)
  CONSTANT(TCPRTT_MAX_SLOTS)
  CONSTANT(NETLINK_MSG_MAX)
  CONSTANT(NETLINK_SOURCE_TRACEPOINT)
  CONSTANT(NETLINK_SOURCE_FENTRY)
  CONSTANT(NETLINK_SOURCE_FEXIT)
  CONSTANT(NETLINK_TRACEPOINT_RETVAL)
  CONSTANT(PROG_CALL_ENTRY)
  CONSTANT(PROG_CALL_EXIT)
  CONSTANT(TRACE_MAX_ARGS)
  CONSTANT(TRACE_MAX_READS)
  CONSTANT(TRACE_READ_DEPTH)
  CONSTANT(TRACE_READ_MAX)
  CONSTANT(TRACE_SLOTS)
  CONSTANT(TRACE_MAX_FUNCS)
  CONSTANT(TRACE_READ_NONE)
  CONSTANT(TRACE_READ_STRING)
  CONSTANT(TRACE_READ_BYTES)
  CONSTANT(TRACE_STATUS_UNREAD)
  CONSTANT(TRACE_STATUS_OK)
  CONSTANT(TRACE_STATUS_FAULT)
  CONSTANT(TRACE_STATUS_NULL)
  CONSTANT(TRACE_PRED_RET)
  CONSTANT(TRACE_PRED_NONE)
  CONSTANT(TRACE_OP_EQ)
  CONSTANT(TRACE_OP_NE)
  CONSTANT(TRACE_OP_LT)
  CONSTANT(TRACE_OP_LE)
  CONSTANT(TRACE_OP_GT)
  CONSTANT(TRACE_OP_GE)
  CONSTANT(TRACE_SOURCE_FENTRY)
  CONSTANT(TRACE_SOURCE_KPROBE)
  CONSTANT(TRACE_SOURCE_KPROBE_MULTI)
  result.Set("constants", constants);
}

#undef CONSTANT

}  // namespace

Napi::Object Layouts(Napi::Env env) {
  Napi::Object result = Napi::Object::New(env);
  AddEventLayouts(env, result);
  AddRodataLayouts(env, result);
  AddConstants(env, result);
  return result;
}

}  // namespace bpfkit
