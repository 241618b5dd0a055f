// Test shim, loaded with LD_PRELOAD into a real dijkctl: the Nth open() of a path under
// DIJK_TEST_KILL_PREFIX (N = DIJK_TEST_KILL_AFTER) kills the process with SIGKILL, as a power cut or
// the OOM killer would, at a point of the scan or retro-hunt the test chooses instead of a race.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static atomic_long opened;

static void count(const char* path) {
  const char* prefix = getenv("DIJK_TEST_KILL_PREFIX");
  const char* after = getenv("DIJK_TEST_KILL_AFTER");
  if (prefix == NULL || after == NULL || strncmp(path, prefix, strlen(prefix)) != 0) return;
  if (atomic_fetch_add(&opened, 1) + 1 >= atol(after)) raise(SIGKILL);
}

static int forward(const char* name, const char* path, int flags, va_list ap) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) mode = (mode_t)va_arg(ap, int);
  int (*real)(const char*, int, ...) = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, name);
  return real(path, flags, mode);
}

int open(const char* path, int flags, ...) {
  count(path);
  va_list ap;
  va_start(ap, flags);
  const int fd = forward("open", path, flags, ap);
  va_end(ap);
  return fd;
}

int open64(const char* path, int flags, ...) {
  count(path);
  va_list ap;
  va_start(ap, flags);
  const int fd = forward("open64", path, flags, ap);
  va_end(ap);
  return fd;
}
