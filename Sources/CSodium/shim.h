#ifndef SOURCEVAULT_CSODIUM_SHIM_H
#define SOURCEVAULT_CSODIUM_SHIM_H
#include <sodium.h>
#endif
