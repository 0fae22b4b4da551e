#define _GNU_SOURCE
#include "CStreamShim.h"
#include <stdio_ext.h>

FILE *netautopsy_open_cookie_reader(
    void *cookie, ssize_t (*read)(void *, char *, size_t), int (*close)(void *), char *buffer, size_t size) {
    cookie_io_functions_t io = { .read = read, .write = NULL, .seek = NULL, .close = close };
    FILE *file = fopencookie(cookie, "r", io);
    if (!file) return NULL;
    /* One thread reads the stream: glibc's lock on each fread (taken once a process has a second thread, such
       as a capture's flow stage) would cost more than the copy it guards. */
    __fsetlocking(file, FSETLOCKING_BYCALLER);
    /* glibc gives a cookie stream a buffer of BUFSIZ (8 KiB), so `read` would be asked for 8 KiB at a time. */
    if (buffer && size > 0) setvbuf(file, buffer, _IOFBF, size);
    return file;
}
