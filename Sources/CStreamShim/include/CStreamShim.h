#ifndef NETAUTOPSY_CSTREAMSHIM_H
#define NETAUTOPSY_CSTREAMSHIM_H
#include <stdio.h>
#include <sys/types.h>

/* A read-only FILE* whose bytes come from `read` (glibc fopencookie), so libpcap can read a
   capture streamed out of an archive without a temporary file. `close` runs on fclose. The stream takes no lock: use it from one thread at a time.
   It reads through `buffer` (`size` bytes; NULL for glibc's own), which the caller frees after fclose. */
FILE *netautopsy_open_cookie_reader(
    void *cookie, ssize_t (*read)(void *cookie, char *buffer, size_t size), int (*close)(void *cookie),
    char *buffer, size_t size);
#endif
