/* The target's code is all in include/CPrefetch.h (static inline); SwiftPM wants a source file. */
#include "CPrefetch.h"
