/*
 * hash.h: SHA-256 (OpenSSL's libcrypto) for content hashes: cache keys, model identity.
 *
 * A checkpoint's identity is the hash of what determines its weights without reading
 * gigabytes: every shard's name, size and full safetensors header (the header fixes
 * names, dtypes, shapes and offsets; the size catches appended data), plus config.json.
 * Never prints, never exits.
 */
#ifndef BB_HASH_H
#define BB_HASH_H

#include <stddef.h>

#include "core/checkpoint.h"

#define SHA256_HEX_LEN 65 /* 64 hex digits and a NUL */

struct sha256;  /* an incremental hash */

struct sha256 *sha256_new(void);
void sha256_add(struct sha256 *h, const void *data, size_t n);
/* Finish into hex (65 bytes) and free h. */
void sha256_finish(struct sha256 *h, char *hex);

void sha256_hex(const void *data, size_t n, char *hex);

/* Identity of a checkpoint, as above (config.json alone in planning mode). */
void checkpoint_identity(const struct checkpoint *ck, char *hex);

#endif
