/*
 * core_fixture.h: what the core's tests share: a format by name, and a checkpoint opened
 * with its budget inventory (a full checkpoint or a config-only folder).
 * Never fails silently: a format or a folder that does not open is printed.
 */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/formats.h"

static inline struct format fmt(const char *name)
{
	struct format f;
	struct bb_error err = {0};
	memset(&f, 0, sizeof f);
	if (format_parse(&f, name, &err) != 0)
		fprintf(stderr, "  cannot parse %s: %s\n", name, err.msg);
	return f;
}

/* A checkpoint and its budget inventory, opened together for a test. */
struct fixture_checkpoint {
	struct checkpoint ck;
	struct inventory inv;
	int ok;
};

/* Open dir and build its inventory (lm_head outside the budget); m->ok says whether both
 * worked, and is returned. */
static inline int fixture_checkpoint_open(struct fixture_checkpoint *m, const char *dir)
{
	struct bb_error err = {0};
	m->ok = checkpoint_open(&m->ck, dir, &err) == 0 &&
		inventory_build(&m->inv, &m->ck, false, &err) == 0;
	if (!m->ok)
		fprintf(stderr, "  cannot open %s: %s\n", dir, err.msg);
	return m->ok;
}

static inline void fixture_checkpoint_close(struct fixture_checkpoint *m)
{
	if (m->ok) {
		inventory_free(&m->inv);
		checkpoint_close(&m->ck);
	}
}

#endif
