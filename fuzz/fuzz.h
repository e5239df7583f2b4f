/*
 * fuzz.h: what the libFuzzer harnesses (fuzz/fuzz_*.c) share.
 *
 * Each harness defines LLVMFuzzerTestOneInput for one parser of untrusted input. It is
 * built twice: by `make fuzz` with clang -fsanitize=fuzzer,address,undefined (libFuzzer's
 * main), and by `make` with the project's compiler and fuzz/replay.c's main, as
 * $(BUILD)/fuzz/replay_<name>, which runs the same function once per file named on the
 * command line: tests/cli/t5030-fuzz-regressions.sh replays fuzz/regressions/ and the seed
 * corpus through it, under ASan and UBSan in `make test-asan`.
 *
 * Inputs that are files to the code under test are handed over as memory-backed files
 * (memfd) named /proc/self/fd/N, so no harness touches the disk per input. A harness never
 * prints (the code under test never does) and frees everything: LeakSanitizer runs too.
 */
#ifndef BB_FUZZ_H
#define BB_FUZZ_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, once before the first input (libFuzzer and replay.c call it when defined). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* A memory-backed file holding exactly data[0..size): slot picks one of a few files kept
 * open for the whole run (a harness needing two files uses slots 0 and 1). Returns its
 * path, or NULL if memfds are unavailable. */
static inline const char *fuzz_file(int slot, const uint8_t *data, size_t size)
{
	static int fds[4] = {-1, -1, -1, -1};
	static char paths[4][32];
	if (slot < 0 || slot > 3)
		return NULL;
	if (fds[slot] < 0) {
		fds[slot] = memfd_create("bb-fuzz", 0);
		if (fds[slot] < 0)
			return NULL;
		snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fds[slot]);
	}
	if (ftruncate(fds[slot], 0) != 0)
		return NULL;
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(fds[slot], data + done, size - done, (off_t)done);
		if (n <= 0)
			return NULL;
		done += (size_t)n;
	}
	return paths[slot];
}

/* A NUL-terminated copy of data (caller frees). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

/* The shared data folder ($SHARED, default ../shared), for harnesses that want the shared
 * model's tokenizer or config. */
static inline const char *fuzz_shared(void)
{
	const char *s = getenv("SHARED");
	return s && *s ? s : "../shared";
}

#endif
