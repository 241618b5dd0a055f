#pragma once
// An allocator for large scratch arrays that are filled before they are read (sort buffers, gathered
// copies). Two costs it removes, both measured in the retro-hunt's PDQ join on a 2-core VM:
//  - TLB misses. An array of hundreds of MB read at random misses the TLB on nearly every access with
//    4 KiB pages; blocks of 2 MiB or more are asked for transparent huge pages (MADV_HUGEPAGE, which the
//    kernel honours under THP "madvise" as well as "always").
//  - Writing every element twice. `construct` default-initialises, so `resize` of a trivial type leaves
//    the (kernel-zeroed) memory as it is instead of writing zeros over it first.
// Small blocks go to operator new as usual, and so does everything under AddressSanitizer. If the kernel
// refuses huge pages, ordinary pages are used.
#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <utility>

namespace dijk {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit by design

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugeFrom) return static_cast<T*>(::operator new(bytes));
    void* p = mmap(nullptr, round_up(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, round_up(bytes), MADV_HUGEPAGE);  // advice only: ordinary pages if refused
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugeFrom) {
      ::operator delete(p);
      return;
    }
    munmap(p, round_up(bytes));
  }

  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
      ::new (static_cast<void*>(p)) U;  // default-init: no zeros written over fresh pages
    } else {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }

 private:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  // AddressSanitizer checks bounds only on the heap it manages: under it, every block comes from there.
  static constexpr std::size_t kHugeFrom = kUnderAddressSanitizer ? ~std::size_t{0} : kHugePage;
  static std::size_t round_up(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
};

}  // namespace dijk
