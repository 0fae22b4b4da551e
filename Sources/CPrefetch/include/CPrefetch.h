#ifndef NETAUTOPSY_CPREFETCH_H
#define NETAUTOPSY_CPREFETCH_H

/* Asks the CPU to start loading the cache line at `address` for a read soon, without waiting for it
   (GCC and Clang's __builtin_prefetch: PREFETCHT0 on x86-64, PRFM on arm64). Swift has no such
   intrinsic; this header is inlined into the Swift code that calls it. A prefetch never faults, so
   any address is safe; a useless one costs an instruction. */
static inline __attribute__((always_inline)) void netautopsy_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* The same for a write soon: the line is loaded for ownership (PREFETCHW where the CPU has it). */
static inline __attribute__((always_inline)) void netautopsy_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/* Asks the kernel to back the whole 2 MiB pages inside [address, address + length) with transparent huge pages
   (madvise MADV_HUGEPAGE; the "madvise" mode of THP, the default of many distributions, backs only such
   regions, and "always" needs no advice). Pages already touched are left to the kernel's background
   collapsing (khugepaged). For large tables read at
   random: with 4 KiB pages nearly every access also misses the TLB. Nothing changes where the kernel refuses. */
static inline __attribute__((always_inline)) void netautopsy_advise_huge_pages(void *address, size_t length) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)address + length) & ~(huge - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
}

#endif
