// Keeps the .node loadable on glibc 2.28 and GCC 8's libstdc++ (the floor of Node 20 itself) when it
// is built on a newer distribution. A link binds each libc/libstdc++ call to the newest version of
// the symbol; for the few calls below that version is newer than the floor, so they are redirected
// to the older versions, which every newer glibc/libstdc++ still provides. Each replacement is
// hidden: the static libraries and our own code bind to it at link time and nothing is exported.
// scripts/glibc-floor.mjs (run by `npm run prebuild`) fails the build if a new one shows up.
#include <new>  // also defines __GLIBC__, which the test below needs

#if defined(__GLIBC__) && defined(__x86_64__)

struct stat;

extern "C" {
// Declared under private names; .symver makes references to them bind to the old versions.
int bpfkit_fxstat_glibc_2_2_5(int version, int fd, struct stat* buffer);
int bpfkit_pthread_once_glibc_2_2_5(int* once, void (*init)());
}
__asm__(".symver bpfkit_fxstat_glibc_2_2_5,__fxstat@GLIBC_2.2.5");
__asm__(".symver bpfkit_pthread_once_glibc_2_2_5,pthread_once@GLIBC_2.2.5");

// fstat became a libc symbol in 2.33 (libelf and libbpf call it); before, <sys/stat.h> inlined a call
// to __fxstat with the structure version, which is 1 on x86-64.
extern "C" __attribute__((visibility("hidden"))) int fstat(int fd, struct stat* buffer) {
  return bpfkit_fxstat_glibc_2_2_5(1, fd, buffer);
}

// pthread_once moved from libpthread into libc in 2.34 under a new version (std::call_once uses it).
// On older glibc, node has already loaded libpthread, which defines the 2.2.5 version.
extern "C" __attribute__((visibility("hidden"))) int pthread_once(int* once, void (*init)()) {
  return bpfkit_pthread_once_glibc_2_2_5(once, init);
}

// GCC 11's headers throw through this helper (GLIBCXX_3.4.29) when a new[] size overflows.
[[noreturn]] __attribute__((visibility("hidden"))) void bpfkit_throw_bad_array_new_length() __asm__(
    "_ZSt28__throw_bad_array_new_lengthv");
void bpfkit_throw_bad_array_new_length() { throw std::bad_array_new_length(); }

#endif
