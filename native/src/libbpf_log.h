// libbpf reports everything (including the verifier's log) through one process-wide print
// callback. It runs on whichever thread called libbpf, so a thread-local capture scope collects
// the output of exactly the operation that thread is running; outside a scope it is dropped.
#pragma once
#include <cstddef>
#include <string>

namespace bpfkit {

// Installs the print callback. Safe to call from every environment; only the first call acts.
void InstallLibbpfPrint();

// Collects libbpf's WARN and INFO output on this thread while alive. Scopes nest: an inner scope
// takes the output until it ends.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  void Append(const char* text, size_t length);
  // The text captured so far, with the middle cut out when it outgrew the bound.
  std::string Text() const;

 private:
  // The verifier names its complaint at the end of its log, and libbpf names the failing program
  // at the start, so both ends are kept.
  static constexpr size_t kHeadBytes = 64 * 1024;
  static constexpr size_t kTailBytes = 192 * 1024;

  std::string head_;
  std::string tail_;
  size_t cut_bytes_ = 0;
  LogCapture* previous_;
};

}  // namespace bpfkit
