/*
 * hash.c: SHA-256 through OpenSSL's EVP interface, and checkpoint identity.
 * Never prints or exits.
 */
#include "core/hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

struct sha256 *sha256_new(void)
{
	struct sha256 *h = malloc(sizeof *h);
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void sha256_add(struct sha256 *h, const void *data, size_t n)
{
	EVP_DigestUpdate(h->ctx, data, n);
}

void sha256_finish(struct sha256 *h, char *hex)
{
	unsigned char digest[32];
	unsigned int len = 0;
	EVP_DigestFinal_ex(h->ctx, digest, &len);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void sha256_hex(const void *data, size_t n, char *hex)
{
	struct sha256 *h = sha256_new();
	sha256_add(h, data, n);
	sha256_finish(h, hex);
}

void checkpoint_identity(const struct checkpoint *ck, char *hex)
{
	struct sha256 *h = sha256_new();
	char *config = cJSON_PrintUnformatted(ck->config_json);
	sha256_add(h, config, strlen(config) + 1);
	free(config);
	for (int i = 0; i < ck->n_files; i++) {
		const struct st_file *f = &ck->files[i];
		uint64_t size = f->size;
		sha256_add(h, ck->file_names[i], strlen(ck->file_names[i]) + 1);
		sha256_add(h, &size, sizeof size);
		sha256_add(h, f->map, 8 + f->header_len);
	}
	sha256_finish(h, hex);
}
