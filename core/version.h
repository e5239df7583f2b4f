/*
 * version.h: bitbudget's version, recorded in recipes, results and cache keys.
 * Never spelled out anywhere else in the C code: include this.
 */
#ifndef BB_VERSION_H
#define BB_VERSION_H

#define BITBUDGET_VERSION "0.1.0"

#endif
