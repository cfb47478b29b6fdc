/* shim.h — libFuzzer's driver entry (compiler-rt, -sanitize=fuzzer), for a program with its own main. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
