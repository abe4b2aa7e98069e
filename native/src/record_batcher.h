// Copies records into batch buffers framed as [u32 length][payload][zero pad to 8], each batch
// bounded by a record count and a byte size. A record is never refused: libbpf has consumed it
// from the ring before it reaches us, so one larger than the byte bound gets a batch of its own.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bpfkit {

class RecordBatcher {
 public:
  struct Batch {
    std::vector<uint8_t> bytes;
    uint32_t records = 0;
  };

  RecordBatcher(uint32_t max_records, size_t max_bytes);

  // Returns true once the consumer should stop for this round: the batch is full, or a record
  // spilled into a second one.
  bool Add(const void* data, size_t size);
  void AddLost(uint64_t count) { lost_ += count; }

  size_t batch_count() const { return used_; }
  const Batch& batch(size_t index) const { return batches_[index]; }
  uint64_t lost() const { return lost_; }

  // Empties every batch; their buffers keep their capacity for the next round.
  void Clear();

 private:
  void StartBatch();

  uint32_t max_records_;
  size_t max_bytes_;
  std::vector<Batch> batches_;
  size_t used_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace bpfkit
