#include "event_reader.h"

#include <climits>
#include <cstring>
#include <string>

#include "args.h"
#include "checked_method.h"
#include "errors.h"

namespace bpfkit {

const napi_type_tag EventReader::kTypeTag = {0x6270666b69745265ULL, 0x3c94e0a1f2b75d06ULL};

namespace {

constexpr uint32_t kDefaultPerfPages = 64;

bool IsPowerOfTwo(uint32_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

// The uv handles and the libbpf buffer whose epoll fd they watch. This outlives the reader when
// it has to: uv_close() completes on a later loop turn, and only then may the fd go away.
struct EventReader::Poller {
  uv_poll_t poll;
  // Drains once on the next loop turn after start()/resume(). A perf event's readiness is cleared
  // by whoever polls it first, and libuv may poll a paused fd before it notices the pause, so
  // records that arrived meanwhile would otherwise wait for the next wakeup.
  uv_idle_t kick;
  std::unique_ptr<EventSource> source;
  EventReader* owner = nullptr;
  // Registered while the handles are open, so a worker's teardown waits for their close.
  napi_async_cleanup_hook_handle teardown_hook = nullptr;
  int open_handles = 0;
  bool closing = false;

  uv_handle_t* poll_handle() { return reinterpret_cast<uv_handle_t*>(&poll); }
  uv_handle_t* kick_handle() { return reinterpret_cast<uv_handle_t*>(&kick); }

  void BeginClose() {
    if (closing) return;
    closing = true;
    owner = nullptr;
    if (open_handles == 0) {
      delete this;
      return;
    }
    uv_close(poll_handle(), OnClosed);
    uv_close(kick_handle(), OnClosed);
  }

  static void OnClosed(uv_handle_t* handle) {
    Poller* poller = static_cast<Poller*>(handle->data);
    if (--poller->open_handles > 0) return;
    // Unregisters the hook, or tells the environment this hook's cleanup has finished.
    if (poller->teardown_hook != nullptr) napi_remove_async_cleanup_hook(poller->teardown_hook);
    delete poller;
  }

  static void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
    Poller* poller = static_cast<Poller*>(arg);
    if (poller->owner != nullptr) {
      poller->owner->CloseNow();
    } else {
      poller->BeginClose();
    }
  }
};

Napi::Function EventReader::Define(Napi::Env env) {
  return DefineCheckedClass<EventReader>(
      env, {
                         CheckedMethod<EventReader, &EventReader::Start>("start"),
                         CheckedMethod<EventReader, &EventReader::Pause>("pause"),
                         CheckedMethod<EventReader, &EventReader::Resume>("resume"),
                         CheckedMethod<EventReader, &EventReader::Flush>("flush"),
                         CheckedMethod<EventReader, &EventReader::RefLoop>("ref"),
                         CheckedMethod<EventReader, &EventReader::UnrefLoop>("unref"),
                         CheckedMethod<EventReader, &EventReader::Close>("close"),
                         CheckedGetter<EventReader, &EventReader::GetClosed>("closed"),
                     });
}

EventReader::EventReader(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<EventReader>(info), env_(info.Env()), poller_(nullptr), batcher_(1, 1) {
  Napi::Env env = info.Env();
  Napi::Object self = info.This().As<Napi::Object>();
  self.TypeTag(&kTypeTag);

  int map_fd = static_cast<int>(AsUint32(info[0], "mapFd", 0, INT_MAX));
  Napi::Object options = AsObject(info[1], "options");
  std::string kind_name = AsString(options.Get("kind"), "options.kind");
  EventSource::Kind kind;
  if (kind_name == "ringbuf") {
    kind = EventSource::Kind::kRingbuf;
  } else if (kind_name == "perf") {
    kind = EventSource::Kind::kPerf;
  } else {
    throw InvalidValue(env, "options.kind must be \"ringbuf\" or \"perf\" (got \"" + kind_name +
                                "\")");
  }
  uint32_t perf_pages = kDefaultPerfPages;
  Napi::Value pages = options.Get("perfPages");
  if (kind == EventSource::Kind::kPerf && !pages.IsUndefined()) {
    perf_pages = AsUint32(pages, "options.perfPages", 1);
    if (!IsPowerOfTwo(perf_pages)) {
      throw InvalidValue(env, "options.perfPages must be a power of two (got " +
                                  std::to_string(perf_pages) + ")");
    }
  }
  uint32_t max_records = AsUint32(options.Get("maxBatchRecords"), "options.maxBatchRecords", 1);
  uint32_t max_bytes = AsUint32(options.Get("maxBatchBytes"), "options.maxBatchBytes", 8);
  Napi::Function on_batch = AsFunction(info[2], "onBatch");
  Napi::Function on_error = AsFunction(info[3], "onError");

  std::unique_ptr<EventSource> source =
      EventSource::Create(env, kind, map_fd, perf_pages, max_records);
  batcher_ = RecordBatcher(max_records, max_bytes);
  on_batch_ = Napi::Persistent(on_batch);
  on_error_ = Napi::Persistent(on_error);
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "bpfkit:EventReader", self);
  poller_ = new Poller();
  poller_->source = std::move(source);
  poller_->owner = this;
}

EventReader::~EventReader() {
  if (poller_ != nullptr) {
    poller_->owner = nullptr;
    poller_->BeginClose();
  }
}

void EventReader::EnsureOpen(Napi::Env env) const {
  if (closed_) throw Closed(env, kClassName);
}

void EventReader::UpdatePolling() {
  if (!started_ || closed_) return;
  if (paused_) {
    uv_poll_stop(&poller_->poll);
    uv_idle_stop(&poller_->kick);
    return;
  }
  int error = uv_poll_start(&poller_->poll, UV_READABLE, OnReadable);
  if (error != 0) throw ErrnoError(Env(), error, "uv_poll_start");
  uv_idle_start(&poller_->kick, OnKick);
}

Napi::Value EventReader::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env);
  if (started_) return env.Undefined();
  uv_loop_t* loop = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_get_uv_event_loop(env, &loop), Napi::Value());
  int error = uv_poll_init(loop, &poller_->poll, poller_->source->epoll_fd());
  if (error != 0) throw ErrnoError(env, error, "uv_poll_init");
  uv_idle_init(loop, &poller_->kick);
  poller_->poll.data = poller_;
  poller_->kick.data = poller_;
  poller_->open_handles = 2;
  napi_add_async_cleanup_hook(env, Poller::OnTeardown, poller_, &poller_->teardown_hook);
  if (!referenced_) {
    uv_unref(poller_->poll_handle());
    uv_unref(poller_->kick_handle());
  }
  started_ = true;
  // Delivery must not stop because the JS object became unreachable; close() drops this.
  Napi::ObjectWrap<EventReader>::Ref();
  UpdatePolling();
  return env.Undefined();
}

Napi::Value EventReader::Pause(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  paused_ = true;
  UpdatePolling();
  return info.Env().Undefined();
}

Napi::Value EventReader::Resume(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  paused_ = false;
  UpdatePolling();
  return info.Env().Undefined();
}

Napi::Value EventReader::Flush(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  Drain(true);
  return info.Env().Undefined();
}

Napi::Value EventReader::RefLoop(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  referenced_ = true;
  if (started_) {
    uv_ref(poller_->poll_handle());
    uv_ref(poller_->kick_handle());
  }
  return info.Env().Undefined();
}

Napi::Value EventReader::UnrefLoop(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env());
  referenced_ = false;
  if (started_) {
    uv_unref(poller_->poll_handle());
    uv_unref(poller_->kick_handle());
  }
  return info.Env().Undefined();
}

Napi::Value EventReader::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

Napi::Value EventReader::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

void EventReader::CloseNow() {
  if (closed_) return;
  closed_ = true;
  Poller* poller = poller_;
  poller_ = nullptr;
  poller->owner = nullptr;
  poller->BeginClose();
  if (started_) Napi::ObjectWrap<EventReader>::Unref();
  // Inside onBatch the callbacks are still on the stack; Drain releases them when it unwinds.
  if (!draining_) ReleaseCallbacks();
}

void EventReader::ReleaseCallbacks() {
  // The callbacks usually close over this reader: holding them strongly would keep both alive.
  on_batch_.Reset();
  on_error_.Reset();
}

void EventReader::OnReadable(uv_poll_t* handle, int status, int) {
  Poller* poller = static_cast<Poller*>(handle->data);
  if (poller->owner != nullptr) poller->owner->DrainFromLoop(status);
}

void EventReader::OnKick(uv_idle_t* handle) {
  uv_idle_stop(handle);
  Poller* poller = static_cast<Poller*>(handle->data);
  if (poller->owner != nullptr) poller->owner->DrainFromLoop(0);
}

void EventReader::DrainFromLoop(int status) {
  if (closed_) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  // A handle to the reader keeps it from being collected while its callbacks run.
  [[maybe_unused]] Napi::Object keep_alive = Value();
  // Nothing up the stack can catch: what escapes goes to process 'uncaughtException'.
  try {
    if (status < 0) {
      ReportError(ErrnoError(env, status, "uv_poll").Value());
      return;
    }
    Drain(false);
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  } catch (const std::exception& error) {
    napi_fatal_exception(env, Napi::Error::New(env, error.what()).Value());
  }
}

void EventReader::Drain(bool until_empty) {
  // A flush() from inside onBatch would deliver batches out of order.
  if (draining_) return;
  draining_ = true;
  struct DrainEnd {
    EventReader* reader;
    ~DrainEnd() {
      reader->draining_ = false;
      reader->batcher_.Clear();
      if (reader->closed_) reader->ReleaseCallbacks();
    }
  } drain_end{this};

  EventSource* source = poller_->source.get();
  // A flush takes what is in the ring now, not what a busy producer keeps adding.
  uint64_t target = source->consumed_bytes() + source->PendingBytes();
  for (;;) {
    EventSource::CollectResult result = source->Collect(batcher_);
    Deliver();
    if (closed_) return;
    if (result.error < 0) {
      ReportError(ErrnoError(Env(), result.error, result.op).Value());
      return;
    }
    // A flush stops where the poll path would: once the consumer asked for a pause (highWaterMark).
    if (!until_empty || paused_ || !result.maybe_more || source->consumed_bytes() >= target) return;
  }
}

void EventReader::Deliver() {
  size_t count = batcher_.batch_count();
  uint64_t lost = batcher_.lost();
  if (count == 0 && lost == 0) return;
  Napi::Env env = Env();
  // Lost records with nothing else to report still get an empty batch, so they are counted.
  size_t calls = count > 0 ? count : 1;
  for (size_t i = 0; i < calls && !closed_; ++i) {
    Napi::HandleScope scope(env);
    size_t size = i < count ? batcher_.batch(i).bytes.size() : 0;
    uint32_t records = i < count ? batcher_.batch(i).records : 0;
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, size);
    if (size > 0) std::memcpy(buffer.Data(), batcher_.batch(i).bytes.data(), size);
    Napi::Number lost_now = Napi::Number::New(env, i == 0 ? static_cast<double>(lost) : 0);
    try {
      on_batch_.Value().MakeCallback(Value(), {buffer, Napi::Number::New(env, records), lost_now},
                                     *async_context_);
    } catch (const Napi::Error& error) {
      ReportError(error.Value());
    }
  }
  batcher_.Clear();
}

void EventReader::ReportError(Napi::Value error) {
  on_error_.Value().MakeCallback(Value(), {error}, *async_context_);
}

}  // namespace bpfkit
