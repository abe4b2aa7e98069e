#include "event_source.h"

#include <cerrno>

#include "errors.h"
#include "libbpf_log.h"

namespace bpfkit {
namespace {

// Returned by the ring sample callback to end consume_n early. ring_buffer__consume_n hands it
// back unchanged; the record that triggered it has already been copied.
constexpr int kBatchFull = -ECANCELED;

// Every ring buffer record occupies an 8-byte header plus its payload rounded up to 8.
constexpr uint64_t RingFootprint(size_t size) { return 8 + ((size + 7) & ~size_t{7}); }

}  // namespace

EventSource::EventSource(Kind kind, uint32_t max_batch_records)
    : kind_(kind), max_batch_records_(max_batch_records) {}

std::unique_ptr<EventSource> EventSource::Create(Napi::Env env, Kind kind, int map_fd,
                                                 size_t perf_pages, uint32_t max_batch_records) {
  std::unique_ptr<EventSource> source(new EventSource(kind, max_batch_records));
  LogCapture capture;
  if (kind == Kind::kRingbuf) {
    source->ring_ = ring_buffer__new(map_fd, OnRingSample, source.get(), nullptr);
    if (source->ring_ == nullptr) {
      int error = errno;
      throw ErrnoError(env, error, "ring_buffer__new", capture.Text());
    }
  } else {
    source->perf_ = perf_buffer__new(map_fd, perf_pages, OnPerfSample, OnPerfLost, source.get(),
                                     nullptr);
    if (source->perf_ == nullptr) {
      int error = errno;
      throw ErrnoError(env, error, "perf_buffer__new", capture.Text());
    }
  }
  return source;
}

EventSource::~EventSource() {
  ring_buffer__free(ring_);
  perf_buffer__free(perf_);
}

int EventSource::epoll_fd() const {
  return kind_ == Kind::kRingbuf ? ring_buffer__epoll_fd(ring_) : perf_buffer__epoll_fd(perf_);
}

size_t EventSource::PendingBytes() const {
  if (kind_ != Kind::kRingbuf) return 0;
  return ring__avail_data_size(ring_buffer__ring(ring_, 0));
}

EventSource::CollectResult EventSource::Collect(RecordBatcher& batcher) {
  sink_ = &batcher;
  CollectResult result{0, nullptr, false};
  if (kind_ == Kind::kRingbuf) {
    int count = ring_buffer__consume_n(ring_, max_batch_records_);
    if (count == kBatchFull || (count >= 0 && static_cast<uint32_t>(count) >= max_batch_records_)) {
      result.maybe_more = true;
    } else if (count < 0) {
      result.error = count;
      result.op = "ring_buffer__consume_n";
    }
  } else {
    int error = perf_buffer__consume(perf_);
    if (error < 0) {
      result.error = error;
      result.op = "perf_buffer__consume";
    }
  }
  sink_ = nullptr;
  return result;
}

int EventSource::OnRingSample(void* context, void* data, size_t size) {
  EventSource* self = static_cast<EventSource*>(context);
  self->consumed_bytes_ += RingFootprint(size);
  return self->sink_->Add(data, size) ? kBatchFull : 0;
}

void EventSource::OnPerfSample(void* context, int, void* data, __u32 size) {
  static_cast<EventSource*>(context)->sink_->Add(data, size);
}

void EventSource::OnPerfLost(void* context, int, __u64 count) {
  static_cast<EventSource*>(context)->sink_->AddLost(count);
}

}  // namespace bpfkit
