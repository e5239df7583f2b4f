/*
 * test_recipe.c: recipes in memory and as JSON (core/recipe.c) and scores files
 * (core/scores.c).
 *
 * Round trips through bitbudget's JSON form, through files, and through AutoRound's
 * layer_config form (checked key by key against the form written out by hand); malformed
 * recipes and scores files, written as text so duplicate keys survive, must be refused
 * with BB_EFORMAT and a message naming the file, layer or option at fault.
 * Never writes outside its own mkdtemp folder.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "core/recipe.h"
#include "core/scores.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
	static char buf[8][256];
	static int at;
	char *path = buf[at++ % 8];
	snprintf(path, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* A recipe with one layer of each kind of format. */
static void sample_recipe(struct recipe *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->model, sizeof r->model, "tiny-llama");
	snprintf(r->strategy, sizeof r->strategy, "sensitivity");
	const char *opts[4] = {"MXFP4", "MXFP8", "W4G128", "W2G128-asym"};
	for (int i = 0; i < 4; i++)
		r->options[i] = fmt(opts[i]);
	r->n_options = 4;
	r->target_avg_bits = 4.5;
	r->achieved_avg_bits = 4.4375;
	r->accounting = ACCOUNT_SCALES;
	static const char *rows[5][3] = {
		{"model.layers.0.self_attn.q_proj", "MXFP4", "MXFP4"},
		{"model.layers.0.self_attn.k_proj", "MXFP8", "MXFP8"},
		{"model.layers.0.self_attn.v_proj", "W4G128", "BF16"},
		{"model.layers.0.self_attn.o_proj", "W2G128-asym", "BF16"},
		{"model.layers.0.mlp.down_proj", "BF16", "BF16"},
	};
	r->layers = calloc(5, sizeof *r->layers);
	for (int i = 0; i < 5; i++) {
		snprintf(r->layers[i].name, sizeof r->layers[i].name, "%s", rows[i][0]);
		r->layers[i].weight = fmt(rows[i][1]);
		r->layers[i].act = fmt(rows[i][2]);
		r->layers[i].fixed = i == 4;
	}
	r->n_layers = 5;
}

static int same_format(const struct format *a, const struct format *b)
{
	return strcmp(a->name, b->name) == 0 && a->kind == b->kind && a->bits == b->bits &&
	       a->block == b->block && a->sym == b->sym;
}

static int same_recipe(const struct recipe *a, const struct recipe *b)
{
	int ok = strcmp(a->model, b->model) == 0 && strcmp(a->strategy, b->strategy) == 0 &&
		 a->n_options == b->n_options && a->target_avg_bits == b->target_avg_bits &&
		 a->achieved_avg_bits == b->achieved_avg_bits &&
		 a->accounting == b->accounting && a->n_layers == b->n_layers;
	for (int i = 0; ok && i < a->n_options; i++)
		ok = same_format(&a->options[i], &b->options[i]);
	for (int i = 0; ok && i < a->n_layers; i++)
		ok = strcmp(a->layers[i].name, b->layers[i].name) == 0 &&
		     same_format(&a->layers[i].weight, &b->layers[i].weight) &&
		     same_format(&a->layers[i].act, &b->layers[i].act) &&
		     a->layers[i].fixed == b->layers[i].fixed;
	return ok;
}

// ---- round trips ----

TEST(recipe_json_should_round_trip)
{
	struct recipe r, back;
	sample_recipe(&r);
	cJSON *json = recipe_to_json(&r);
	CHECK(json != NULL);
	/* the documented keys */
	CHECK_STR(cJSON_GetObjectItem(json, "accounting")->valuestring, "scales");
	CHECK_STR(cJSON_GetObjectItem(json, "model")->valuestring, "tiny-llama");
	cJSON *layers = cJSON_GetObjectItem(json, "layers");
	cJSON *v = cJSON_GetObjectItem(layers, "model.layers.0.self_attn.o_proj");
	CHECK_STR(cJSON_GetObjectItem(v, "weight")->valuestring, "W2G128-asym");
	CHECK_STR(cJSON_GetObjectItem(v, "act")->valuestring, "BF16");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(layers, "model.layers.0.mlp.down_proj"), "fixed")));
	struct bb_error err = {0};
	CHECK(recipe_from_json(&back, json, "test", &err) == 0);
	CHECK(same_recipe(&r, &back));
	CHECK(recipe_find(&back, "model.layers.0.self_attn.k_proj") == &back.layers[1]);
	CHECK(recipe_find(&back, "nope") == NULL);
	cJSON_Delete(json);
	recipe_free(&back);
	recipe_free(&r);
	CHECK(r.layers == NULL && r.n_layers == 0);
}

TEST(recipe_write_then_read_should_round_trip)
{
	struct recipe r, back;
	sample_recipe(&r);
	r.accounting = ACCOUNT_WEIGHTS;
	char path[256];
	snprintf(path, sizeof path, "%s/recipe.json", tmpdir);
	struct bb_error err = {0};
	CHECK(recipe_write(&r, path, &err) == 0);
	CHECK(recipe_read(&back, path, &err) == 0);
	CHECK(same_recipe(&r, &back));
	/* the file ends with a newline and has no NUL */
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CHECK(n > 0 && buf[n - 1] == '\n' && memchr(buf, 0, n) == NULL);
	recipe_free(&back);
	recipe_free(&r);
}

TEST(recipe_autoround_export_should_import_to_same_formats)
{
	struct recipe r, back;
	sample_recipe(&r);
	cJSON *ar = recipe_to_autoround(&r);
	/* the layer_config form, by hand */
	cJSON *q = cJSON_GetObjectItem(ar, "model.layers.0.self_attn.q_proj");
	CHECK(cJSON_GetObjectItem(q, "bits")->valueint == 4);
	CHECK_STR(cJSON_GetObjectItem(q, "data_type")->valuestring, "mx_fp");
	CHECK(cJSON_GetObjectItem(q, "group_size")->valueint == 32);
	CHECK(cJSON_GetObjectItem(q, "act_bits")->valueint == 4);
	CHECK_STR(cJSON_GetObjectItem(q, "act_data_type")->valuestring, "mx_fp");
	cJSON *o = cJSON_GetObjectItem(ar, "model.layers.0.self_attn.o_proj");
	CHECK(cJSON_GetObjectItem(o, "bits")->valueint == 2);
	CHECK_STR(cJSON_GetObjectItem(o, "data_type")->valuestring, "int");
	CHECK(cJSON_GetObjectItem(o, "group_size")->valueint == 128);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "sym")));
	CHECK(cJSON_GetObjectItem(o, "act_bits")->valueint == 16);
	cJSON *v = cJSON_GetObjectItem(ar, "model.layers.0.self_attn.v_proj");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(v, "sym")));
	cJSON *d = cJSON_GetObjectItem(ar, "model.layers.0.mlp.down_proj");
	CHECK(cJSON_GetObjectItem(d, "bits")->valueint == 16);
	char *text = cJSON_Print(ar);
	cJSON_Delete(ar);
	const char *path = write_file("layer_config.json", text);
	free(text);
	struct bb_error err = {0};
	CHECK(recipe_read(&back, path, &err) == 0);
	CHECK(back.n_layers == 5);
	for (int i = 0; i < 5 && i < back.n_layers; i++) {
		CHECK_STR(back.layers[i].name, r.layers[i].name);
		CHECK(same_format(&back.layers[i].weight, &r.layers[i].weight));
		CHECK(same_format(&back.layers[i].act, &r.layers[i].act));
	}
	CHECK_STR(back.strategy, "autoround");
	recipe_free(&back);
	recipe_free(&r);
}

TEST(recipe_read_should_import_hand_written_layer_config)
{
	const char *path = write_file(
		"ar.json",
		"{\"a\": {\"bits\": 4, \"data_type\": \"mx_fp4\", \"group_size\": 32,"
		"        \"act_bits\": 4, \"act_data_type\": \"mx_fp4\", \"act_group_size\": 32},"
		" \"b\": {\"bits\": 8, \"data_type\": \"int\", \"group_size\": 128, \"sym\": true},"
		" \"c\": {\"bits\": 4, \"group_size\": 64, \"sym\": false},"
		" \"d\": {\"bits\": 16, \"data_type\": \"float\"}}");
	struct recipe r;
	struct bb_error err = {0};
	CHECK(recipe_read(&r, path, &err) == 0);
	CHECK(r.n_layers == 4);
	if (r.n_layers == 4) {
		CHECK_STR(r.layers[0].weight.name, "MXFP4");
		CHECK_STR(r.layers[0].act.name, "MXFP4");
		CHECK_STR(r.layers[1].weight.name, "W8G128");
		CHECK_STR(r.layers[1].act.name, "BF16"); /* no act_bits: kept */
		CHECK_STR(r.layers[2].weight.name, "W4G64-asym"); /* int by default */
		CHECK_STR(r.layers[3].weight.name, "BF16");
	}
	recipe_free(&r);
	const char *nv = write_file("ar_nv.json", "{\"a\": {\"bits\": 4, \"data_type\": \"nv_fp\"}}");
	CHECK(recipe_read(&r, nv, &err) == BB_EUNSUPPORTED);
	CHECK(strstr(err.msg, "nv_fp") && strstr(err.msg, "'a'"));
	const char *nobits = write_file("ar_nobits.json", "{\"a\": {\"data_type\": \"int\"}}");
	CHECK(recipe_read(&r, nobits, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "bits") != NULL);
	const char *b1 = write_file("ar_b1.json", "{\"a\": {\"bits\": 1, \"data_type\": \"int\"}}");
	CHECK(recipe_read(&r, b1, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "'a'") != NULL);
	const char *dup = write_file("ar_dup.json", "{\"a\": {\"bits\": 4}, \"a\": {\"bits\": 8}}");
	CHECK(recipe_read(&r, dup, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "twice") != NULL);
}

// ---- malformed recipes ----

/* recipe_read must fail with code and a message holding each of the given words. */
static void expect_bad_recipe(const char *name, const char *text, int code, const char *w1,
			      const char *w2)
{
	const char *path = write_file(name, text);
	struct recipe r;
	struct bb_error err = {0};
	int rc = recipe_read(&r, path, &err);
	if (rc != code)
		fprintf(stderr, "  %s: rc %d, want %d (%s)\n", name, rc, code, err.msg);
	CHECK(rc == code);
	CHECK(strstr(err.msg, path) != NULL);
	if ((w1 && !strstr(err.msg, w1)) || (w2 && !strstr(err.msg, w2)))
		fprintf(stderr, "  %s: message \"%s\" lacks '%s' or '%s'\n", name, err.msg,
			w1 ? w1 : "", w2 ? w2 : "");
	CHECK(!w1 || strstr(err.msg, w1) != NULL);
	CHECK(!w2 || strstr(err.msg, w2) != NULL);
	CHECK(r.layers == NULL && r.n_layers == 0);
}

/* Only the documented pairings (docs/formats.md) and whole numbers in a layer_config. */
TEST(recipe_read_should_reject_undocumented_pairings_and_fractional_autoround_numbers)
{
	const int F = BB_EFORMAT;
	expect_bad_recipe("pair48.json", "{\"layers\": {\"a\": {\"weight\": \"MXFP4\", "
			  "\"act\": \"MXFP8\"}}}", F, "'a'",
			  "weight MXFP4 with activation MXFP8 is not a documented pairing");
	expect_bad_recipe("pair4bf.json", "{\"layers\": {\"a\": {\"weight\": \"MXFP4\", "
			  "\"act\": \"BF16\"}}}", F, "'a'", "(MXFP4 takes activation MXFP4)");
	expect_bad_recipe("ar_pair.json", "{\"a\": {\"bits\": 4, \"data_type\": \"mx_fp\", "
			  "\"group_size\": 32, \"act_bits\": 8, \"act_data_type\": \"mx_fp\"}}", F,
			  "'a'", "weight MXFP4 with activation MXFP8");
	expect_bad_recipe("ar_bits.json", "{\"a\": {\"bits\": 4.5, \"data_type\": \"int\", "
			  "\"group_size\": 32}}", F, "'a'", "'bits' must be an integer, not 4.5");
	expect_bad_recipe("ar_gs.json", "{\"a\": {\"bits\": 4, \"data_type\": \"int\", "
			  "\"group_size\": 32.7}}", F, "'a'", "'group_size' must be an integer");
	expect_bad_recipe("ar_actbits.json", "{\"a\": {\"bits\": 4, \"data_type\": \"mx_fp\", "
			  "\"act_bits\": 4.25, \"act_data_type\": \"mx_fp\"}}", F, "'a'",
			  "'act_bits' must be an integer");
}

TEST(recipe_read_should_reject_malformed_recipes)
{
	const int F = BB_EFORMAT;
	expect_bad_recipe("notjson.json", "{\"layers\": {", F, "JSON", NULL);
	expect_bad_recipe("array.json", "[1, 2]", F, NULL, NULL);
	expect_bad_recipe("emptyobj.json", "{}", F, NULL, NULL);
	expect_bad_recipe("layersarray.json", "{\"layers\": []}", F, "layers", NULL);
	expect_bad_recipe("mxfp5.json",
			  "{\"layers\": {\"L1\": {\"weight\": \"MXFP5\", \"act\": \"BF16\"}}}", F,
			  "MXFP5", "L1");
	expect_bad_recipe("dup.json",
			  "{\"layers\": {\"L1\": {\"weight\": \"MXFP4\", \"act\": \"MXFP4\"},"
			  " \"L1\": {\"weight\": \"MXFP8\", \"act\": \"MXFP8\"}}}",
			  F, "L1", "twice");
	expect_bad_recipe("actint.json",
			  "{\"layers\": {\"L1\": {\"weight\": \"W4G128\", \"act\": \"W4G128\"}}}", F,
			  "L1", "W4G128");
	expect_bad_recipe("mxact.json",
			  "{\"layers\": {\"L1\": {\"weight\": \"W4G128\", \"act\": \"MXFP4\"}}}", F,
			  "L1", "MX");
	expect_bad_recipe("noact.json", "{\"layers\": {\"L1\": {\"weight\": \"MXFP4\"}}}", F, "L1",
			  "act");
	expect_bad_recipe("layerstr.json", "{\"layers\": {\"L1\": \"MXFP4\"}}", F, "L1", NULL);
	expect_bad_recipe("badopt.json",
			  "{\"options\": [\"MXFP4\", \"FP3\"], \"layers\": {}}", F, "options",
			  "FP3");
	expect_bad_recipe("optnum.json", "{\"options\": [4], \"layers\": {}}", F, "options", NULL);
	expect_bad_recipe("acct.json", "{\"accounting\": \"bits\", \"layers\": {}}", F,
			  "accounting", NULL);
	expect_bad_recipe("target.json", "{\"target_avg_bits\": \"5\", \"layers\": {}}", F,
			  "target_avg_bits", NULL);
	expect_bad_recipe("target2.json", "{\"target_avg_bits\": -1, \"layers\": {}}", F,
			  "target_avg_bits", NULL);
	expect_bad_recipe("model.json", "{\"model\": 7, \"layers\": {}}", F, "model", NULL);
	char longname[400];
	snprintf(longname, sizeof longname,
		 "{\"layers\": {\"%0200d\": {\"weight\": \"MXFP4\", \"act\": \"MXFP4\"}}}", 0);
	expect_bad_recipe("longname.json", longname, F, NULL, NULL);
	/* a missing file is an I/O error */
	struct recipe r;
	struct bb_error err = {0};
	char path[256];
	snprintf(path, sizeof path, "%s/none.json", tmpdir);
	CHECK(recipe_read(&r, path, &err) == BB_EIO);
}

TEST(recipe_from_json_should_accept_minimal_recipe)
{
	cJSON *j = cJSON_Parse("{\"layers\": {\"x\": {\"weight\": \"mxfp8\", \"act\": \"MXFP8\"}}}");
	struct recipe r;
	struct bb_error err = {0};
	CHECK(recipe_from_json(&r, j, "t", &err) == 0);
	CHECK(r.n_layers == 1 && r.n_options == 0 && r.accounting == ACCOUNT_WEIGHTS);
	CHECK(r.target_avg_bits == 0 && r.model[0] == 0);
	CHECK_STR(r.layers[0].weight.name, "MXFP8");
	CHECK(!r.layers[0].fixed);
	recipe_free(&r);
	cJSON_Delete(j);
	CHECK(recipe_from_json(&r, NULL, "t", &err) == BB_EFORMAT);
}

// ---- scores ----

TEST(scores_read_should_read_a_valid_file)
{
	const char *path = write_file(
		"scores.json",
		"{\"method\": \"deltaloss\", \"nsamples\": 16,"
		" \"options\": [\"MXFP4\", \"MXFP8\", \"BF16\"],"
		" \"scores\": {\"a\": {\"MXFP4\": 12.5, \"MXFP8\": 0.3},"
		"              \"b\": {\"MXFP4\": 0, \"MXFP8\": 0, \"BF16\": 0}}}");
	struct scores s;
	struct bb_error err = {0};
	CHECK(scores_read(&s, path, &err) == 0);
	CHECK(s.n_options == 3 && s.n_layers == 2);
	struct format mx4 = fmt("MXFP4"), mx8 = fmt("MXFP8"), bf = fmt("BF16"), w4 = fmt("W4G128");
	CHECK(scores_get(&s, "a", &mx4) == 12.5);
	CHECK(scores_get(&s, "a", &mx8) == 0.3);
	CHECK(scores_get(&s, "a", &bf) == 0);
	CHECK(scores_get(&s, "b", &mx4) == 0);
	CHECK(scores_get(&s, "c", &mx4) == -1);
	CHECK(scores_get(&s, "a", &w4) == -1);
	CHECK_STR(s.names[0], "a");
	scores_free(&s);
	CHECK(s.names == NULL && s.values == NULL);
}

static void expect_bad_scores(const char *name, const char *text, const char *w1,
			      const char *w2)
{
	const char *path = write_file(name, text);
	struct scores s;
	struct bb_error err = {0};
	int rc = scores_read(&s, path, &err);
	if (rc != BB_EFORMAT)
		fprintf(stderr, "  %s: rc %d (%s)\n", name, rc, err.msg);
	CHECK(rc == BB_EFORMAT);
	CHECK(strstr(err.msg, path) != NULL);
	if ((w1 && !strstr(err.msg, w1)) || (w2 && !strstr(err.msg, w2)))
		fprintf(stderr, "  %s: message \"%s\" lacks '%s' or '%s'\n", name, err.msg,
			w1 ? w1 : "", w2 ? w2 : "");
	CHECK(!w1 || strstr(err.msg, w1) != NULL);
	CHECK(!w2 || strstr(err.msg, w2) != NULL);
	CHECK(s.names == NULL && s.values == NULL && s.n_layers == 0);
}

TEST(scores_read_should_reject_malformed_files)
{
	expect_bad_scores("s_notjson.json", "{\"options\": [", NULL, NULL);
	expect_bad_scores("s_noopts.json", "{\"scores\": {\"a\": {\"MXFP4\": 1}}}", "options", NULL);
	expect_bad_scores("s_emptyopts.json", "{\"options\": [], \"scores\": {\"a\": {}}}",
			  "options", NULL);
	expect_bad_scores("s_badopt.json",
			  "{\"options\": [\"MXFP5\"], \"scores\": {\"a\": {\"MXFP5\": 1}}}",
			  "options", NULL);
	expect_bad_scores("s_neg.json",
			  "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": {\"MXFP4\": -0.5}}}",
			  "'a'", "MXFP4");
	expect_bad_scores("s_str.json",
			  "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": {\"MXFP4\": \"1.5\"}}}",
			  "'a'", "MXFP4");
	expect_bad_scores("s_nan.json",
			  "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": {\"MXFP4\": NaN}}}", NULL,
			  NULL);
	expect_bad_scores("s_inf.json",
			  "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": {\"MXFP4\": 1e999}}}",
			  "'a'", "MXFP4");
	expect_bad_scores("s_null.json",
			  "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": {\"MXFP4\": null}}}",
			  "'a'", NULL);
	expect_bad_scores("s_missing.json",
			  "{\"options\": [\"MXFP4\", \"MXFP8\"],"
			  " \"scores\": {\"a\": {\"MXFP4\": 1, \"MXFP8\": 0},"
			  "              \"b\": {\"MXFP4\": 1}}}",
			  "'b'", "MXFP8");
	expect_bad_scores("s_dup.json",
			  "{\"options\": [\"MXFP4\"],"
			  " \"scores\": {\"a\": {\"MXFP4\": 1}, \"a\": {\"MXFP4\": 2}}}",
			  "'a'", "twice");
	expect_bad_scores("s_empty.json", "{\"options\": [\"MXFP4\"], \"scores\": {}}", "scores",
			  NULL);
	expect_bad_scores("s_arr.json", "{\"options\": [\"MXFP4\"], \"scores\": [1]}", "scores",
			  NULL);
	expect_bad_scores("s_layer.json", "{\"options\": [\"MXFP4\"], \"scores\": {\"a\": 3}}",
			  "'a'", NULL);
	expect_bad_scores("s_top.json", "[1]", NULL, NULL);
	struct scores s;
	struct bb_error err = {0};
	char path[256];
	snprintf(path, sizeof path, "%s/none.json", tmpdir);
	CHECK(scores_read(&s, path, &err) == BB_EIO);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bb-test-rc-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(recipe_json_should_round_trip);
	RUN(recipe_write_then_read_should_round_trip);
	RUN(recipe_autoround_export_should_import_to_same_formats);
	RUN(recipe_read_should_import_hand_written_layer_config);
	RUN(recipe_read_should_reject_malformed_recipes);
	RUN(recipe_from_json_should_accept_minimal_recipe);
	RUN(scores_read_should_read_a_valid_file);
	RUN(scores_read_should_reject_malformed_files);
	RUN(recipe_read_should_reject_undocumented_pairings_and_fractional_autoround_numbers);
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	END_TESTS();
}
