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

#endif
