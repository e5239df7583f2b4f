/*
 * test_checkpoint_config.c: config.json as core/checkpoint.c reads it: the tiny Llama's
 * config (tests/unit/checkpoint_fixture.h) with a key removed, mistyped, inconsistent,
 * not finite or unsupported, each written to a folder of its own and opened: refused with
 * the key at fault named (the optional keys may go missing).
 * Never writes outside its own mkdtemp folder.
 */
#include <string.h>

#include "core/checkpoint.h"
#include "tests/unit/check.h"
#include "tests/unit/checkpoint_fixture.h"

// ---- config.json variants ----

/* Open a folder holding only this config; return rc and fill err. */
static int open_config(const char *name, const char *config, struct bb_error *err)
{
	const char *dir = make_dir(name);
	write_text(dir, "config.json", config);
	struct checkpoint ck;
	int rc = checkpoint_open(&ck, dir, err);
	if (!rc)
		checkpoint_close(&ck);
	return rc;
}

/* tiny_config with one key's "key":value text replaced (or removed when repl is ""). */
static const char *edit_config(const char *key_and_value, const char *repl)
{
	static char buf[8][1024];
	static int at;
	char *out = buf[at++ % 8];
	const char *hit = strstr(tiny_config, key_and_value);
	size_t pre = (size_t)(hit - tiny_config), n = strlen(key_and_value);
	const char *post = tiny_config + pre + n;
	if (!*repl && *post == ',')
		post++;
	snprintf(out, 1024, "%.*s%s%s", (int)pre, tiny_config, repl, post);
	return out;
}

TEST(checkpoint_should_reject_config_missing_required_keys)
{
	static const char *keys[][2] = {
		{"\"hidden_size\":32", "hidden_size"},
		{"\"intermediate_size\":64", "intermediate_size"},
		{"\"num_hidden_layers\":2", "num_hidden_layers"},
		{"\"num_attention_heads\":4", "num_attention_heads"},
		{"\"vocab_size\":16", "vocab_size"},
		{"\"model_type\":\"llama\"", "model_type"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct bb_error err = {0};
		char name[64];
		snprintf(name, sizeof name, "missing%zu", i);
		int rc = open_config(name, edit_config(keys[i][0], ""), &err);
		CHECK(rc == BB_EFORMAT);
		if (!strstr(err.msg, keys[i][1]))
			fprintf(stderr, "  message lacks '%s': %s\n", keys[i][1], err.msg);
		CHECK(strstr(err.msg, keys[i][1]) != NULL);
		CHECK(strstr(err.msg, "config.json") != NULL);
	}
	/* num_key_value_heads and head_dim are optional */
	struct bb_error err = {0};
	CHECK(open_config("nokv", edit_config("\"num_key_value_heads\":2", ""), &err) == 0);
}

TEST(checkpoint_should_reject_mistyped_or_inconsistent_config)
{
	struct bb_error err = {0};
	CHECK(open_config("strsize", edit_config("\"hidden_size\":32", "\"hidden_size\":\"32\""),
			  &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "hidden_size") != NULL);
	CHECK(open_config("fracsize", edit_config("\"hidden_size\":32", "\"hidden_size\":32.5"),
			  &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "hidden_size") != NULL);
	CHECK(open_config("negsize", edit_config("\"vocab_size\":16", "\"vocab_size\":-16"),
			  &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "vocab_size") != NULL);
	CHECK(open_config("zerolayers",
			  edit_config("\"num_hidden_layers\":2", "\"num_hidden_layers\":0"),
			  &err) == BB_EFORMAT);
	CHECK(open_config("gqa", edit_config("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"),
			  &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "num_key_value_heads") != NULL);
	CHECK(open_config("notjson", "{\"model_type\": \"llama\",", &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "config.json") != NULL);
	CHECK(open_config("array", "[1, 2]", &err) == BB_EFORMAT);
	/* no config.json at all */
	struct checkpoint ck;
	const char *empty = make_dir("noconfig");
	CHECK(checkpoint_open(&ck, empty, &err) == BB_EIO);
	CHECK(strstr(err.msg, "config.json") != NULL);
}

/* Floats that would make NaN in every forward pass (a division by eps, a power of theta,
 * the llama3 ramp's 1 / (high - low)) are refused when the config is opened. */
TEST(checkpoint_should_reject_config_floats_that_are_not_finite_and_positive)
{
	static const char *bad[][2] = {
		{"\"rms_norm_eps\":-1", "'rms_norm_eps' must be a finite number > 0"},
		{"\"rms_norm_eps\":0", "'rms_norm_eps' must be a finite number > 0"},
		{"\"rms_norm_eps\":1e-50", "'rms_norm_eps' must be a finite number > 0"},
		{"\"rope_theta\":0", "'rope_theta' must be a finite number > 0"},
		{"\"rope_theta\":1e300", "'rope_theta' must be a finite number > 0"},
		{"\"rope_theta\":\"10000\"", "'rope_theta' must be a finite number > 0"},
		{"\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":-8}",
		 "'rope_scaling.factor' must be a finite number > 0"},
		{"\"rope_scaling\":{\"rope_type\":\"llama3\",\"low_freq_factor\":4}",
		 "high_freq_factor 4 must be more than low_freq_factor 4"},
		{"\"hidden_act\":[\"silu\"]", "'hidden_act' must be a string"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct bb_error err = {0};
		char name[64], repl[160];
		snprintf(name, sizeof name, "badfloat%zu", i);
		snprintf(repl, sizeof repl, "\"vocab_size\":16,%s", bad[i][0]);
		CHECK(open_config(name, edit_config("\"vocab_size\":16", repl), &err) == BB_EFORMAT);
		if (!strstr(err.msg, bad[i][1]))
			fprintf(stderr, "  %s: %s\n", bad[i][0], err.msg);
		CHECK(strstr(err.msg, bad[i][1]) != NULL);
	}
	struct bb_error err = {0};
	CHECK(open_config("goodfloats", edit_config("\"vocab_size\":16", "\"vocab_size\":16,"
			  "\"rms_norm_eps\":1e-5,\"rope_theta\":500000,\"hidden_act\":\"silu\""),
			  &err) == 0);
}

TEST(checkpoint_should_reject_unsupported_model_type_and_rope_scaling)
{
	struct bb_error err = {0};
	CHECK(open_config("gpt2", edit_config("\"model_type\":\"llama\"", "\"model_type\":\"gpt2\""),
			  &err) == BB_EUNSUPPORTED);
	CHECK(strstr(err.msg, "gpt2") != NULL);
	CHECK(err.code == BB_EUNSUPPORTED);
	char cfg[1024];
	snprintf(cfg, sizeof cfg, "%.*s,\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4.0}}",
		 (int)strlen(tiny_config) - 1, tiny_config);
	CHECK(open_config("yarn", cfg, &err) == BB_EUNSUPPORTED);
	CHECK(strstr(err.msg, "yarn") != NULL);
	snprintf(cfg, sizeof cfg, "%.*s,\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}}",
		 (int)strlen(tiny_config) - 1, tiny_config);
	CHECK(open_config("yarn2", cfg, &err) == BB_EUNSUPPORTED);
	snprintf(cfg, sizeof cfg, "%.*s,\"rope_scaling\":{\"rope_type\":\"dynamic\"}}",
		 (int)strlen(tiny_config) - 1, tiny_config);
	CHECK(open_config("dynamic", cfg, &err) == BB_EUNSUPPORTED);
	snprintf(cfg, sizeof cfg, "%.*s,\"rope_scaling\":{\"factor\":4.0}}",
		 (int)strlen(tiny_config) - 1, tiny_config);
	CHECK(open_config("notype", cfg, &err) == BB_EFORMAT);
	snprintf(cfg, sizeof cfg, "%.*s,\"rope_scaling\":{\"rope_type\":\"default\"}}",
		 (int)strlen(tiny_config) - 1, tiny_config);
	CHECK(open_config("default", cfg, &err) == 0);
}

int main(void)
{
	if (!tmpdir_make())
		return 1;
	RUN(checkpoint_should_reject_config_missing_required_keys);
	RUN(checkpoint_should_reject_mistyped_or_inconsistent_config);
	RUN(checkpoint_should_reject_unsupported_model_type_and_rope_scaling);
	RUN(checkpoint_should_reject_config_floats_that_are_not_finite_and_positive);
	tmpdir_remove();
	END_TESTS();
}
