// EventReader: delivers the records of a BPF ring buffer or perf event array to JavaScript in
// batches, without threads: a uv_poll on libbpf's epoll fd, on the environment's own loop.
//
// Each readable event drains one batch's worth (maxBatchRecords / maxBatchBytes) and calls
// onBatch once per batch. What is left stays readable (the ring buffer's epoll readiness is
// level-triggered), so the loop comes back on its next turn and other callbacks run in between.
// Perf buffers are drained whole each time: each CPU's buffer is bounded, and their readiness
// is not level-triggered. start() and resume() also drain once on the next loop turn.
//
// Exceptions: one thrown by onBatch is passed to onError. One thrown by onError escapes: from
// flush() to its caller, from a poll callback to process 'uncaughtException'.
//
// While started and not closed the reader keeps itself alive (dropping the JS object does not
// stop delivery); close() is what ends it. Closing inside onBatch is safe: the batches already
// taken from the ring in that round are dropped.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "event_source.h"
#include "record_batcher.h"

namespace bpfkit {

class EventReader : public Napi::ObjectWrap<EventReader> {
 public:
  static constexpr const char* kClassName = "EventReader";
  static const napi_type_tag kTypeTag;

  static Napi::Function Define(Napi::Env env);

  explicit EventReader(const Napi::CallbackInfo& info);
  ~EventReader() override;

 private:
  struct Poller;

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  // ref()/unref() of the uv handle; ObjectWrap's own Ref()/Unref() count JS references.
  Napi::Value RefLoop(const Napi::CallbackInfo& info);
  Napi::Value UnrefLoop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  void EnsureOpen(Napi::Env env) const;
  void UpdatePolling();
  void Drain(bool until_empty);
  void Deliver();
  // Calls onError; an exception it throws propagates (see the header comment).
  void ReportError(Napi::Value error);
  void CloseNow();
  void ReleaseCallbacks();

  // Drains on behalf of the event loop (no JavaScript on the stack).
  void DrainFromLoop(int status);
  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnKick(uv_idle_t* handle);

  napi_env env_;
  Poller* poller_;
  RecordBatcher batcher_;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool started_ = false;
  bool paused_ = false;
  bool referenced_ = true;
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace bpfkit
