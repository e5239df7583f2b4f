/*
 * checkpoint_fixture.h: what the checkpoint tests share: a temporary folder made for the
 * run and removed at its end, folders and text files inside it, and the config.json of a
 * tiny Llama. Used by test_checkpoint.c and test_checkpoint_config.c.
 * Never writes outside the mkdtemp folder it makes.
 */
#ifndef BB_CHECKPOINT_FIXTURE_H
#define BB_CHECKPOINT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/unit/check.h"

static char tmpdir[64];

/* Make the run's temporary folder; prints why and returns 0 when it cannot. */
static inline int tmpdir_make(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bb-test-ck-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 0;
	}
	return 1;
}

static inline void tmpdir_remove(void)
{
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* A new folder under the temp dir; returns its path (static storage, 8 in rotation). */
static const char *make_dir(const char *name)
{
	static char buf[8][256];
	static int at;
	char *p = buf[at++ % 8];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	mkdir(p, 0755);
	return p;
}

static inline void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* A tiny Llama: hidden 32, intermediate 64, 2 blocks, 4 heads of 8, 2 KV heads, vocab 16.
 * Shapes: q [32,32], k/v [16,32], o [32,32], gate/up [64,32], down [32,64]. */
static const char *const tiny_config =
	"{\"model_type\":\"llama\",\"hidden_size\":32,\"intermediate_size\":64,"
	"\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
	"\"vocab_size\":16,\"tie_word_embeddings\":false}";

#endif
