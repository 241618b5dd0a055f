// Test shim, loaded with LD_PRELOAD into a real dijkctl: right after the first read() from the file
// named by DIJK_TEST_SHRINK_PATH returns data, truncates that file to half its size, as a writer
// truncating a file while it is hashed would. Deterministic, unlike racing a second process.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t read(int fd, void* buf, size_t count) {
  static ssize_t (*real_read)(int, void*, size_t);
  static int done;
  if (real_read == NULL) real_read = (ssize_t(*)(int, void*, size_t))dlsym(RTLD_NEXT, "read");
  const ssize_t got = real_read(fd, buf, count);
  const char* target = getenv("DIJK_TEST_SHRINK_PATH");
  if (done || target == NULL || got <= 0) return got;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t len = readlink(link, path, sizeof path - 1);
  if (len <= 0) return got;
  path[len] = '\0';
  struct stat st;
  if (strcmp(path, target) == 0 && fstat(fd, &st) == 0 && truncate(target, st.st_size / 2) == 0) done = 1;
  return got;
}
