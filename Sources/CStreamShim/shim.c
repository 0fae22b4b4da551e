#define _GNU_SOURCE
#include "CStreamShim.h"

FILE *netautopsy_open_cookie_reader(
    void *cookie, ssize_t (*read)(void *, char *, size_t), int (*close)(void *)) {
    cookie_io_functions_t io = { .read = read, .write = NULL, .seek = NULL, .close = close };
    return fopencookie(cookie, "r", io);
}
