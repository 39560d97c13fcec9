#ifndef SOURCEVAULT_CSODIUM_SHIM_H
#define SOURCEVAULT_CSODIUM_SHIM_H
#include <sodium.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
/* prctl is variadic, which Swift cannot call: a fixed-arity wrapper. */
static inline int sourcevault_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
static inline int sourcevault_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#endif
#ifdef __GLIBC__
#include <malloc.h>
/* Allocations of at least `bytes` mapped on their own, a fixed threshold (glibc otherwise raises it). */
static inline int sourcevault_map_allocations_from(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#endif
#endif
