#pragma once
// A way of reading files for one worker thread: io_uring with registered buffers and many files in flight,
// or plain pread one file at a time. Both pull tasks from the same queue and feed the same matcher.
#include <memory>
#include <string>

#include "dataplane/filescan/file_matcher.h"
#include "dataplane/filescan/path_walker.h"

namespace dijk {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Reads every task until the queue is closed and drained.
  virtual void run(FileTaskQueue& queue, scan::FileMatcher& matcher) = 0;
  // How it reads and hashes, for the summary: "io_uring, MD5 in avx512 lanes", "pread".
  virtual std::string describe() const = 0;
};

std::unique_ptr<FileReader> make_pread_reader(const ScanOptions& options, AlgorithmSet algorithms);

// Returns nullptr, with the reason in *why, when io_uring cannot be used here (EPERM under a seccomp
// policy or a sysctl, ENOSYS on old kernels, ENOMEM for the registered buffers).
std::unique_ptr<FileReader> make_uring_reader(const ScanOptions& options, AlgorithmSet algorithms,
                                              std::string* why);

}  // namespace dijk
