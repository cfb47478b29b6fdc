/* CMalloc: glibc's allocator tuning interface (mallopt), not exported by Swift's Glibc module. */
#include <malloc.h>
