#include "record_batcher.h"

#include <algorithm>
#include <cstring>

namespace bpfkit {
namespace {

constexpr size_t kLengthBytes = sizeof(uint32_t);
// Reserving the whole byte bound up front would pin megabytes per idle reader.
constexpr size_t kInitialReserve = 64 * 1024;

size_t FramedSize(size_t payload) { return (kLengthBytes + payload + 7) & ~size_t{7}; }

}  // namespace

RecordBatcher::RecordBatcher(uint32_t max_records, size_t max_bytes)
    : max_records_(max_records), max_bytes_(max_bytes) {}

void RecordBatcher::StartBatch() {
  if (used_ == batches_.size()) {
    batches_.emplace_back();
    batches_.back().bytes.reserve(std::min(max_bytes_, kInitialReserve));
  }
  ++used_;
}

bool RecordBatcher::Add(const void* data, size_t size) {
  size_t framed = FramedSize(size);
  if (used_ == 0) {
    StartBatch();
  } else {
    const Batch& current = batches_[used_ - 1];
    if (current.records >= max_records_ || current.bytes.size() + framed > max_bytes_) {
      StartBatch();
    }
  }
  Batch& batch = batches_[used_ - 1];
  size_t offset = batch.bytes.size();
  batch.bytes.resize(offset + framed);  // zero-fills, which covers the padding
  uint32_t length = static_cast<uint32_t>(size);
  std::memcpy(batch.bytes.data() + offset, &length, kLengthBytes);
  std::memcpy(batch.bytes.data() + offset + kLengthBytes, data, size);
  ++batch.records;
  return used_ > 1 || batch.records >= max_records_ || batch.bytes.size() >= max_bytes_;
}

void RecordBatcher::Clear() {
  for (size_t i = 0; i < used_; ++i) {
    batches_[i].bytes.clear();
    batches_[i].records = 0;
  }
  used_ = 0;
  lost_ = 0;
}

}  // namespace bpfkit
