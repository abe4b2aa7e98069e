// The libbpf side of an EventReader: a ring_buffer or perf_buffer on one map, the epoll fd that
// becomes readable when records arrive, and a Collect() that copies records into a RecordBatcher.
// No JavaScript runs while libbpf is consuming.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "record_batcher.h"

namespace bpfkit {

class EventSource {
 public:
  enum class Kind { kRingbuf, kPerf };

  struct CollectResult {
    int error;        // negative errno, 0 on success
    const char* op;   // the libbpf call that failed
    bool maybe_more;  // stopped at the budget: records may be left in the ring
  };

  // Throws the libbpf error (with its log) when the buffer cannot be set up.
  static std::unique_ptr<EventSource> Create(Napi::Env env, Kind kind, int map_fd,
                                             size_t perf_pages, uint32_t max_batch_records);
  ~EventSource();
  EventSource(const EventSource&) = delete;
  EventSource& operator=(const EventSource&) = delete;

  int epoll_fd() const;
  // Ring buffer bytes waiting to be consumed (0 for perf buffers, which have no such counter).
  size_t PendingBytes() const;
  // Ring buffer bytes consumed so far, record headers and padding included.
  uint64_t consumed_bytes() const { return consumed_bytes_; }

  // Ring buffers: at most one batch's worth (the reader's budget per wakeup). Perf buffers:
  // everything there is, which is bounded by the per-CPU buffer size.
  CollectResult Collect(RecordBatcher& batcher);

 private:
  EventSource(Kind kind, uint32_t max_batch_records);

  static int OnRingSample(void* context, void* data, size_t size);
  static void OnPerfSample(void* context, int cpu, void* data, __u32 size);
  static void OnPerfLost(void* context, int cpu, __u64 count);

  Kind kind_;
  uint32_t max_batch_records_;
  ring_buffer* ring_ = nullptr;
  perf_buffer* perf_ = nullptr;
  // Only set while Collect() runs: libbpf calls back into us from inside its consume functions.
  RecordBatcher* sink_ = nullptr;
  uint64_t consumed_bytes_ = 0;
};

}  // namespace bpfkit
