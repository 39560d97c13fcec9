#ifndef SOURCEVAULT_CPWQUALITY_SHIM_H
#define SOURCEVAULT_CPWQUALITY_SHIM_H
/* Debian libpwquality (libpwquality-dev): the passphrase strength estimate behind the weak-passphrase
   warning. Its cracklib dictionary comes with cracklib-runtime. */
#include <pwquality.h>
#endif
