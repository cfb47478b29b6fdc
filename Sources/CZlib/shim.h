/* CZlib: the system's zlib (Debian: zlib1g-dev), used to read .gz data files. */
#include <zlib.h>
