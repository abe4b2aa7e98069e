#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

namespace bpfkit {
namespace {

thread_local LogCapture* current_capture = nullptr;

int PrintToCapture(enum libbpf_print_level level, const char* format, va_list args) {
  LogCapture* capture = current_capture;
  // DEBUG is libbpf narrating every relocation: noise next to a verifier log.
  if (capture == nullptr || level == LIBBPF_DEBUG) return 0;

  char small[1024];
  va_list measuring;
  va_copy(measuring, args);
  int length = vsnprintf(small, sizeof small, format, measuring);
  va_end(measuring);
  if (length <= 0) return 0;
  if (static_cast<size_t>(length) < sizeof small) {
    capture->Append(small, static_cast<size_t>(length));
    return length;
  }
  std::vector<char> large(static_cast<size_t>(length) + 1);
  vsnprintf(large.data(), large.size(), format, args);
  capture->Append(large.data(), static_cast<size_t>(length));
  return length;
}

}  // namespace

void InstallLibbpfPrint() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(PrintToCapture); });
}

LogCapture::LogCapture() : previous_(current_capture) { current_capture = this; }

LogCapture::~LogCapture() { current_capture = previous_; }

void LogCapture::Append(const char* text, size_t length) {
  if (head_.size() < kHeadBytes) {
    size_t taken = std::min(length, kHeadBytes - head_.size());
    head_.append(text, taken);
    text += taken;
    length -= taken;
  }
  if (length == 0) return;
  tail_.append(text, length);
  // Trimming only once the tail doubles keeps appends amortised O(1).
  if (tail_.size() > 2 * kTailBytes) {
    size_t excess = tail_.size() - kTailBytes;
    tail_.erase(0, excess);
    cut_bytes_ += excess;
  }
}

std::string LogCapture::Text() const {
  size_t excess = tail_.size() > kTailBytes ? tail_.size() - kTailBytes : 0;
  size_t cut = cut_bytes_ + excess;
  if (cut == 0) return head_ + tail_;
  std::string text = head_;
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "[... " + std::to_string(cut) + " bytes cut ...]\n";
  text.append(tail_, excess, std::string::npos);
  return text;
}

}  // namespace bpfkit
