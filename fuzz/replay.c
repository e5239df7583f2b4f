/*
 * replay.c: a main for the fuzz harnesses without libFuzzer. `replay_<name> FILE...` runs
 * the harness once per file (a folder: once per file in it) and exits 0 when every input
 * ran to its end; a crash, a sanitizer report or a leak is the failure. Built by `make`
 * into $(BUILD)/fuzz/; run by tests/cli/t5030-fuzz-regressions.sh.
 * Never catches a crash: the crash is the verdict.
 */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: '%s': cannot open\n", path);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	uint8_t chunk[65536];
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			uint8_t *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return 1;
			}
			buf = b;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	/* libFuzzer hands over a buffer of exactly the input's size: so does this. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return 1;
	}
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		int rc = 0;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			rc |= run_path(sub, count);
		}
		if (d)
			closedir(d);
		return rc;
	}
	(*count)++;
	return run_file(path);
}

int main(int argc, char **argv)
{
	int rc = 0, count = 0;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i], &count);
	printf("replayed %d input%s\n", count, count == 1 ? "" : "s");
	return rc;
}
