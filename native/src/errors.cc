#include "errors.h"

#include <cerrno>
#include <cstring>

namespace bpfkit {
namespace {

// The kernel's own "not supported" code; BPF syscalls leak it to user space.
constexpr int kENOTSUPP = 524;

struct ErrnoEntry {
  int number;
  const char* name;
};

// ENOTSUP equals EOPNOTSUPP and EWOULDBLOCK equals EAGAIN on Linux: one name each.
constexpr ErrnoEntry kErrnoNames[] = {
    {EPERM, "EPERM"},       {ENOENT, "ENOENT"},         {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},       {EIO, "EIO"},               {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},       {ENOEXEC, "ENOEXEC"},       {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},     {EAGAIN, "EAGAIN"},         {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},     {EFAULT, "EFAULT"},         {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},     {EXDEV, "EXDEV"},           {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},   {EISDIR, "EISDIR"},         {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},     {EMFILE, "EMFILE"},         {ENOTTY, "ENOTTY"},
    {EFBIG, "EFBIG"},       {ENOSPC, "ENOSPC"},         {ESPIPE, "ESPIPE"},
    {EROFS, "EROFS"},       {EPIPE, "EPIPE"},           {EDOM, "EDOM"},
    {ERANGE, "ERANGE"},     {EDEADLK, "EDEADLK"},       {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},     {ENOTEMPTY, "ENOTEMPTY"},   {ELOOP, "ELOOP"},
    {ENOMSG, "ENOMSG"},     {ENODATA, "ENODATA"},       {ETIME, "ETIME"},
    {EPROTO, "EPROTO"},     {EBADMSG, "EBADMSG"},       {EOVERFLOW, "EOVERFLOW"},
    {EILSEQ, "EILSEQ"},     {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"}, {ENETDOWN, "ENETDOWN"}, {ECONNRESET, "ECONNRESET"},
    {ENOBUFS, "ENOBUFS"},   {ETIMEDOUT, "ETIMEDOUT"},   {ECONNREFUSED, "ECONNREFUSED"},
    {EALREADY, "EALREADY"}, {EINPROGRESS, "EINPROGRESS"}, {ECANCELED, "ECANCELED"},
    {kENOTSUPP, "ENOTSUPP"},
};

std::string Describe(int error_number) {
  if (error_number == kENOTSUPP) return "Operation not supported by the kernel";
  char buffer[128];
  // GNU strerror_r may return a static string instead of filling the buffer.
  return strerror_r(error_number, buffer, sizeof buffer);
}

Napi::Error WithCode(Napi::Error error, const char* code) {
  error.Value().Set("code", code);
  return error;
}

}  // namespace

std::string ErrnoName(int error_number) {
  for (const ErrnoEntry& entry : kErrnoNames) {
    if (entry.number == error_number) return entry.name;
  }
  return "E" + std::to_string(error_number);
}

Napi::Error ErrnoError(Napi::Env env, int error_number, const char* op, const std::string& log) {
  int positive = error_number < 0 ? -error_number : error_number;
  std::string code = ErrnoName(positive);
  Napi::Error error =
      Napi::Error::New(env, std::string(op) + " failed: " + code + " (" + Describe(positive) + ")");
  Napi::Object fields = error.Value();
  fields.Set("code", code);
  fields.Set("errno", positive);
  fields.Set("op", op);
  if (!log.empty()) fields.Set("log", log);
  return error;
}

Napi::Error InvalidType(Napi::Env env, const std::string& message) {
  return WithCode(Napi::TypeError::New(env, message), "BPFKIT_INVALID_ARG");
}

Napi::Error InvalidValue(Napi::Env env, const std::string& message) {
  return WithCode(Napi::RangeError::New(env, message), "BPFKIT_INVALID_ARG");
}

Napi::Error Closed(Napi::Env env, const char* class_name) {
  return WithCode(Napi::Error::New(env, std::string(class_name) + " is closed"), "BPFKIT_CLOSED");
}

Napi::Error NotFound(Napi::Env env, const std::string& kind, const std::string& name,
                     const std::vector<std::string>& valid) {
  std::string message = "unknown " + kind + " \"" + name + "\"; valid: ";
  if (valid.empty()) message += "(none)";
  for (size_t i = 0; i < valid.size(); ++i) {
    if (i > 0) message += ", ";
    message += valid[i];
  }
  return WithCode(Napi::Error::New(env, message), "BPFKIT_NOT_FOUND");
}

}  // namespace bpfkit
