/*
 * test_rigor.c: bit accounting under every convention, pins, groups and recipe manifests
 * (core/formats.c, core/allocate.c, core/constraints.c, core/manifest.c).
 *
 * Accounting is checked on the Llama-3.1-8B config (planning mode) against hand-computed
 * averages (../shared/docs/autoround-autoscheme.md section 1.3); the knapsack with groups
 * against brute force over every assignment of TinyStories-656K's 14 layers that keeps
 * the groups; manifests against hashes computed here. Hand arithmetic in the comments.
 * Never writes outside its own mkdtemp folder.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "baselines/alloc_recipe.h"
#include "baselines/registry.h"
#include "core/allocate.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/version.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"

static char tmpdir[64];

static const char *llama_dir = "experiments/models/Llama-3.1-8B-Instruct";

static const char *shared_model(const char *name)
{
	static char p[2][512];
	static int which;
	which ^= 1;
	snprintf(p[which], sizeof p[which], "%s/models/%s", shared_dir(), name);
	return p[which];
}

/* A request for strategy on m at target over two options. */
static struct alloc_request request(const struct fixture_checkpoint *m, const struct format *opts,
				    const char *strategy, double target)
{
	struct alloc_request r = {.inv = &m->inv, .ck = &m->ck, .model = "m", .options = opts,
				  .n_options = 2, .accounting = ACCOUNT_WEIGHTS,
				  .target_avg_bits = target, .strategy = strategy};
	return r;
}

// ---- accounting ----

TEST(accounting_should_match_hand_computed_averages_on_llama_8b)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, llama_dir)) {
		CHECK(0);
		return;
	}
	/* Every Llama-3.1-8B layer has in_features 4096 or 14336: whole groups of 32 and 128.
	 * Per weight: MXFP4 4 + 8/32 = 4.25 (no zero point); W4G128 4 + 16/128 = 4.125 with
	 * its scale, + 4/128 = 4.15625 with the zero point AutoRound charges symmetric INT too;
	 * W4G32 4 + 16/32 = 4.5, + 4/32 = 4.625, and GGUF's Q4_0 (fp16 d + 32 nibbles) 144/32
	 * = 4.5; W4G32-asym as Q4_1 (d and m) 160/32 = 5; W8G32 as Q8_0 272/32 = 8.5. */
	static const struct {
		const char *lo, *hi;
		double w, s, zp, gguf; /* gguf -1: n/a */
	} cases[] = {
		{"MXFP4", "MXFP8", 4, 4.25, 4.25, 4.25},
		{"W4G128", "W8G128", 4, 4.125, 4.15625, -1},
		{"W4G32", "W8G32", 4, 4.5, 4.625, 4.5},
		{"W4G32-asym", "W8G32", 4, 4.5, 4.625, 5},
		{"W8G32", "BF16", 8, 8.5, 8.75, 8.5},
		{"W2G128", "W4G128", 2, 2.125, 2.140625, -1},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct format opts[2] = {fmt(cases[c].lo), fmt(cases[c].hi)};
		struct alloc_request req = request(&m, opts, "pure", cases[c].w);
		struct recipe r;
		struct bb_error err = {0};
		CHECK(alloc_recipe(&req, &r, &err) == 0);
		CHECK(r.have_avg_bits && r.accounting == ACCOUNT_WEIGHTS);
		CHECK(r.avg_bits[ACCOUNT_WEIGHTS] == cases[c].w);
		CHECK(r.avg_bits[ACCOUNT_SCALES] == cases[c].s);
		CHECK(r.avg_bits[ACCOUNT_SCALES_ZP] == cases[c].zp);
		CHECK(r.avg_bits[ACCOUNT_GGUF] == cases[c].gguf);
		if (r.avg_bits[ACCOUNT_SCALES] != cases[c].s || r.avg_bits[ACCOUNT_GGUF] != cases[c].gguf)
			fprintf(stderr, "  case %s: %g %g %g %g\n", cases[c].lo, r.avg_bits[0],
				r.avg_bits[1], r.avg_bits[2], r.avg_bits[3]);
		recipe_free(&r);
	}
	/* head at 5 bits over MXFP4/MXFP8 raises 8 of 32 blocks (25%): 0.75 x 4.25 + 0.25 x
	 * 8.25 = 5.25 with scales; MXFP8 has no GGUF type, so the recipe has none either */
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_request req = request(&m, mx, "head", 5);
	struct recipe r;
	struct bb_error err = {0};
	CHECK(alloc_recipe(&req, &r, &err) == 0);
	CHECK(r.avg_bits[0] == 5 && r.avg_bits[1] == 5.25 && r.avg_bits[2] == 5.25);
	CHECK(r.avg_bits[3] == -1);
	cJSON *json = recipe_to_json(&r);
	cJSON *avg = cJSON_GetObjectItem(json, "avg_bits");
	CHECK(cJSON_GetObjectItem(avg, "scales+zp")->valuedouble == 5.25);
	CHECK_STR(cJSON_GetObjectItem(avg, "gguf")->valuestring, "n/a");
	cJSON_Delete(json);
	recipe_free(&r);
	fixture_checkpoint_close(&m);
}

TEST(budget_in_scales_zp_should_bound_that_average_and_the_others_follow)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, llama_dir)) {
		CHECK(0);
		return;
	}
	/* head over W4G128/W8G128 with the budget in scales+zp at 5 bits. With a fraction f of
	 * the parameters raised: weights 4 + 4f, scales 4.125 + 4f (both have a 16-bit scale
	 * per 128), scales+zp 4.15625 + 4.03125 f (zero points of 4 and 8 bits per 128). */
	struct format opts[2] = {fmt("W4G128"), fmt("W8G128")};
	struct alloc_request req = request(&m, opts, "head", 5);
	req.accounting = ACCOUNT_SCALES_ZP;
	struct recipe r;
	struct bb_error err = {0};
	CHECK(alloc_recipe(&req, &r, &err) == 0);
	int64_t raised = 0;
	for (int i = 0; i < r.n_layers; i++)
		if (strcmp(r.layers[i].weight.name, "W8G128") == 0)
			raised += m.inv.layers[i].params;
	double f = (double)raised / (double)m.inv.total_params;
	CHECK(r.accounting == ACCOUNT_SCALES_ZP && r.achieved_avg_bits == r.avg_bits[2]);
	CHECK(r.avg_bits[2] <= 5 && f > 0.2 && f < 0.21); /* (5 - 4.15625) / 4.03125 = 0.2093 */
	CHECK_NEAR(r.avg_bits[0], 4 + 4 * f, 1e-12);
	CHECK_NEAR(r.avg_bits[1], 4.125 + 4 * f, 1e-12);
	CHECK_NEAR(r.avg_bits[2], 4.15625 + 4.03125 * f, 1e-12);
	recipe_free(&r);
	/* GGUF is reported, never a budget */
	req.accounting = ACCOUNT_GGUF;
	CHECK(alloc_recipe(&req, &r, &err) == BB_EINVAL);
	CHECK(accounting_parse("scales+zp") == ACCOUNT_SCALES_ZP && accounting_parse("zp") == -1);
	CHECK_STR(accounting_name(ACCOUNT_SCALES), "scales");
	fixture_checkpoint_close(&m);
}

// ---- pins ----

TEST(pins_should_fix_layers_count_them_and_leave_the_rest_to_the_strategy)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, llama_dir)) {
		CHECK(0);
		return;
	}
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_pin pins[2];
	struct bb_error err = {0};
	CHECK(alloc_pin_parse(&pins[0], "layers\\.0\\.mlp\\.down_proj$=MXFP8", &err) == 0);
	CHECK(alloc_pin_parse(&pins[1], "^model\\.layers\\.1\\.self_attn\\.q_proj$=bf16", &err) == 0);
	CHECK_STR(pins[1].format.name, "BF16"); /* any format, not only the options */
	struct alloc_request req = request(&m, mx, "head", 5);
	req.pins = pins, req.n_pins = 2;
	struct recipe r;
	CHECK(alloc_recipe(&req, &r, &err) == 0);
	const struct recipe_layer *down0 = recipe_find(&r, "model.layers.0.mlp.down_proj");
	const struct recipe_layer *q1 = recipe_find(&r, "model.layers.1.self_attn.q_proj");
	CHECK(down0 && down0->pinned && !down0->fixed && strcmp(down0->weight.name, "MXFP8") == 0);
	CHECK(q1 && q1->pinned && strcmp(q1->weight.name, "BF16") == 0 &&
	      strcmp(q1->act.name, "BF16") == 0);
	/* Pinned bits are spent first: down_proj 58,720,256 x 4 extra bits and q_proj
	 * 16,777,216 x 12 extra bits leave less for head, which still raises a suffix. */
	int64_t bits = 0;
	for (int i = 0; i < r.n_layers; i++)
		bits += format_layer_bits(&r.layers[i].weight, m.inv.layers[i].out,
					  m.inv.layers[i].in, ACCOUNT_WEIGHTS);
	CHECK(bits <= 5 * m.inv.total_params);
	int first_raised = -1;
	for (int i = 0; i < r.n_layers; i++)
		if (!r.layers[i].pinned && strcmp(r.layers[i].weight.name, "MXFP8") == 0 &&
		    first_raised < 0)
			first_raised = i;
	for (int i = first_raised; first_raised >= 0 && i < r.n_layers; i++)
		CHECK(strcmp(r.layers[i].weight.name, "MXFP8") == 0);
	CHECK(first_raised > 7 * 24); /* fewer blocks than the 8 raised without pins */
	cJSON *pins_json = cJSON_GetObjectItem(cJSON_GetObjectItem(r.manifest, "strategy"), "pins");
	CHECK(cJSON_GetArraySize(pins_json) == 2);
	recipe_free(&r);
	fixture_checkpoint_close(&m);
}

/* Set up a problem with the given pin texts on model dir; returns rc, message in err. */
static int pinned_problem(const char *dir, const char *const *texts, int n, double target,
			  struct bb_error *err)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, dir))
		return -100;
	struct alloc_pin pins[4];
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = alloc_pin_parse(&pins[i], texts[i], err);
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_request req = request(&m, mx, "head", target);
	req.pins = pins, req.n_pins = n;
	struct alloc_problem p;
	if (!rc && (rc = alloc_problem_setup(&p, &req, err)) == 0)
		alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
	return rc;
}

TEST(pins_should_be_refused_with_a_message_naming_what_is_wrong)
{
	struct bb_error err = {0};
	/* every layer pinned to MXFP8 (8 bits) cannot fit an average of 5 */
	const char *all8[] = {"proj=MXFP8"};
	CHECK(pinned_problem(llama_dir, all8, 1, 5, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "the pins alone exceed the budget") && strstr(err.msg, "8.0000"));
	/* q_proj of block 0 matched by two pins that disagree: the layer and both pins named */
	const char *clash[] = {"q_proj=MXFP8", "layers\\.0\\.=MXFP4"};
	CHECK(pinned_problem(llama_dir, clash, 2, 5, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "'model.layers.0.self_attn.q_proj'") &&
	      strstr(err.msg, "'q_proj=MXFP8'") && strstr(err.msg, "'layers\\.0\\.=MXFP4'"));
	/* agreeing overlaps are fine */
	const char *agree[] = {"q_proj=MXFP8", "layers\\.0\\.self_attn\\.q=MXFP8"};
	CHECK(pinned_problem(llama_dir, agree, 2, 5, &err) == 0);
	/* stories260k's down_proj has in_features 172: no MX block of 32 fits */
	const char *shape[] = {"layers\\.0\\.mlp\\.down_proj=MXFP4"};
	CHECK(pinned_problem(shared_model("stories260k"), shape, 1, 5, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "[64, 172] cannot take MXFP4") != NULL);
	/* a pin that matches nothing, a bad regex, a bad form, an unknown format */
	const char *none[] = {"lm_head=MXFP8"};
	CHECK(pinned_problem(llama_dir, none, 1, 5, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "matches no layer") != NULL);
	struct alloc_pin pin;
	CHECK(alloc_pin_parse(&pin, "layers\\.(0=MXFP8", &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "bad regex 'layers\\.(0'") != NULL);
	CHECK(alloc_pin_parse(&pin, "q_proj", &err) == BB_EINVAL && strstr(err.msg, "REGEX=FORMAT"));
	CHECK(alloc_pin_parse(&pin, "q_proj=MXFP5", &err) == BB_EINVAL &&
	      strstr(err.msg, "unknown format"));
	/* the regex may hold '=': the format is after the last one */
	CHECK(alloc_pin_parse(&pin, "a=b=W4G128", &err) == 0 && strcmp(pin.regex, "a=b") == 0);
}

// ---- groups ----

TEST(groups_should_parse_and_refuse_bad_lists)
{
	struct alloc_group g;
	struct bb_error err = {0};
	CHECK(alloc_group_parse(&g, "q_proj,k_proj,v_proj", &err) == 0 && g.n_kinds == 3);
	CHECK(g.kinds[0] == LK_Q && g.kinds[2] == LK_V);
	CHECK(alloc_group_parse(&g, "q_proj", &err) == BB_EINVAL && strstr(err.msg, "at least two"));
	CHECK(alloc_group_parse(&g, "q_proj,qq", &err) == BB_EINVAL && strstr(err.msg, "'qq'"));
	CHECK(alloc_group_parse(&g, "up_proj,up_proj", &err) == BB_EINVAL && strstr(err.msg, "twice"));
	/* two groups sharing a kind */
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, llama_dir)) {
		CHECK(0);
		return;
	}
	struct alloc_group gs[2];
	alloc_group_parse(&gs[0], "q_proj,k_proj", &err);
	alloc_group_parse(&gs[1], "k_proj,v_proj", &err);
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_request req = request(&m, mx, "head", 5);
	req.groups = gs, req.n_groups = 2;
	struct alloc_problem p;
	CHECK(alloc_problem_setup(&p, &req, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "both hold k_proj") != NULL);
	fixture_checkpoint_close(&m);
}

/* Whether every block's grouped layers (by kind) share their format. */
static int groups_respected(const struct inventory *inv, const int *choice)
{
	for (int i = 0; i < inv->n; i++)
		for (int j = 0; j < inv->n; j++) {
			const struct layer *a = &inv->layers[i], *b = &inv->layers[j];
			bool qkv = a->kind <= LK_V && b->kind <= LK_V, mlp = (a->kind == LK_GATE || a->kind == LK_UP) &&
										(b->kind == LK_GATE || b->kind == LK_UP);
			if (a->block == b->block && (qkv || mlp) && choice[i] != choice[j])
				return 0;
		}
	return 1;
}

static void qkv_and_gate_up(struct alloc_group *gs)
{
	struct bb_error err;
	alloc_group_parse(&gs[0], "q_proj,k_proj,v_proj", &err);
	alloc_group_parse(&gs[1], "gate_proj,up_proj", &err);
}

TEST(head_and_tail_should_move_whole_groups)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, llama_dir)) {
		CHECK(0);
		return;
	}
	struct alloc_group gs[2];
	qkv_and_gate_up(gs);
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	static int choice[224];
	for (int s = 0; s < 2; s++)
		for (double target = 4.1; target < 8; target += 0.37) {
			struct alloc_request req = request(&m, mx, s ? "tail" : "head", target);
			req.groups = gs, req.n_groups = 2;
			struct alloc_problem p;
			struct bb_error err = {0};
			CHECK(alloc_problem_setup(&p, &req, &err) == 0);
			CHECK(p.n_items == 32 * 4); /* qkv, o, gate+up, down */
			const char *arg;
			CHECK(strategy_find(req.strategy, &arg)->allocate(&p, choice, &err) == 0);
			CHECK(groups_respected(&m.inv, choice));
			CHECK(alloc_total_bits(&p, choice) <= p.budget_bits);
			alloc_problem_free(&p);
		}
	fixture_checkpoint_close(&m);
}

TEST(knapsack_with_groups_should_match_brute_force_on_tinystories)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, shared_model("tinystories-656k"))) {
		CHECK(0);
		return;
	}
	/* 14 layers, 2^14 assignments; those keeping q,k,v and gate,up alike per block are the
	 * 2^8 the grouped knapsack chooses among (items: qkv, o, gate+up, down per block). */
	struct alloc_group gs[2];
	qkv_and_gate_up(gs);
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	uint64_t st = 7;
	int bad = 0;
	for (int trial = 0; trial < 10; trial++) {
		char path[128];
		snprintf(path, sizeof path, "%s/scores-%d.json", tmpdir, trial);
		FILE *f = fopen(path, "w");
		double s4[14], s8[14];
		fprintf(f, "{\"options\": [\"MXFP4\", \"MXFP8\"], \"scores\": {");
		for (int i = 0; i < 14; i++) { /* integers: exact sums, real ties */
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			s8[i] = (double)((st >> 33) % 3);
			s4[i] = s8[i] + (double)((st >> 40) % 12);
			fprintf(f, "%s\"%s\": {\"MXFP4\": %g, \"MXFP8\": %g}", i ? ", " : "",
				m.inv.layers[i].name, s4[i], s8[i]);
		}
		fprintf(f, "}}\n");
		fclose(f);
		struct scores sc;
		struct bb_error err = {0};
		CHECK(scores_read(&sc, path, &err) == 0);
		struct alloc_request req = request(&m, mx, "sensitivity", 4.0 + 4.0 * (trial + 0.5) / 10);
		req.scores = &sc, req.groups = gs, req.n_groups = 2;
		struct alloc_problem p;
		CHECK(alloc_problem_setup(&p, &req, &err) == 0);
		double best = INFINITY;
		int choice[14];
		for (int mask = 0; mask < 1 << 14; mask++) {
			int64_t cost = 0;
			double loss = 0;
			for (int i = 0; i < 14; i++) {
				choice[i] = mask >> i & 1;
				cost += (choice[i] ? 8 : 4) * m.inv.layers[i].params;
				loss += choice[i] ? s8[i] : s4[i];
			}
			if (cost <= p.budget_bits && loss < best && groups_respected(&m.inv, choice))
				best = loss;
		}
		const char *arg;
		CHECK(strategy_find("sensitivity", &arg)->allocate(&p, choice, &err) == 0);
		bad += alloc_total_loss(&p, choice) != best || !groups_respected(&m.inv, choice) ||
		       alloc_total_bits(&p, choice) > p.budget_bits;
		alloc_problem_free(&p);
		scores_free(&sc);
	}
	CHECK(bad == 0);
	fixture_checkpoint_close(&m);
}

TEST(check_recipe_should_refuse_split_groups_and_moved_pins)
{
	struct fixture_checkpoint m;
	if (!fixture_checkpoint_open(&m, shared_model("tinystories-656k"))) {
		CHECK(0);
		return;
	}
	struct alloc_group gs[2];
	qkv_and_gate_up(gs);
	struct alloc_pin pin;
	struct bb_error err = {0};
	alloc_pin_parse(&pin, "layers\\.1\\.mlp\\.down_proj=MXFP8", &err);
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_request req = request(&m, mx, "pure", 6);
	req.groups = gs, req.n_groups = 2, req.pins = &pin, req.n_pins = 1;
	struct alloc_problem p;
	CHECK(alloc_problem_setup(&p, &req, &err) == 0);
	int choice[14] = {0};
	struct recipe r;
	CHECK(alloc_to_recipe(&p, choice, "pure", &r, &err) == 0);
	CHECK(alloc_check_recipe(&p, &r, choice, &err) == 0);
	r.layers[1].weight = r.layers[1].act = fmt("MXFP8"); /* k_proj apart from q and v */
	CHECK(alloc_check_recipe(&p, &r, choice, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "are grouped") != NULL);
	r.layers[1].weight = r.layers[1].act = fmt("MXFP4");
	r.layers[13].weight = r.layers[13].act = fmt("MXFP4"); /* the pinned down_proj */
	CHECK(alloc_check_recipe(&p, &r, choice, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "is pinned to MXFP8") != NULL);
	recipe_free(&r);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

// ---- manifests ----

static char *file_sha256(const char *path, char *hex)
{
	char *text;
	size_t len;
	struct bb_error err;
	if (read_file(path, &text, &len, &err))
		return NULL;
	sha256_hex(text, len, hex);
	free(text);
	return hex;
}

static const char *mstr(const cJSON *m, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(b ? cJSON_GetObjectItem(m, a) : m, b ? b : a);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double mnum(const cJSON *m, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(m, a), b);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

TEST(manifest_should_record_model_budget_scores_and_solver_and_be_deterministic)
{
	struct fixture_checkpoint m;
	const char *dir = shared_model("tinystories-656k");
	if (!fixture_checkpoint_open(&m, dir)) {
		CHECK(0);
		return;
	}
	char scores_path[128], want[SHA256_HEX_LEN], config[600], id[SHA256_HEX_LEN];
	snprintf(scores_path, sizeof scores_path, "%s/scores-0.json", tmpdir);
	struct scores sc;
	struct bb_error err = {0};
	CHECK(scores_read(&sc, scores_path, &err) == 0); /* written by the brute-force test */
	struct format mx[2] = {fmt("MXFP4"), fmt("MXFP8")};
	struct alloc_request req = request(&m, mx, "sensitivity", 5);
	req.scores = &sc;
	struct recipe a, b;
	CHECK(alloc_recipe(&req, &a, &err) == 0 && alloc_recipe(&req, &b, &err) == 0);
	const cJSON *man = a.manifest;
	CHECK(man != NULL);
	CHECK_STR(mstr(man, "bitbudget", NULL), BITBUDGET_VERSION);
	checkpoint_identity(&m.ck, id);
	CHECK_STR(mstr(man, "model", "identity"), id);
	CHECK_STR(mstr(man, "model", "mode"), "weights");
	const cJSON *files = cJSON_GetObjectItem(cJSON_GetObjectItem(man, "model"), "files");
	snprintf(config, sizeof config, "%s/config.json", dir);
	CHECK(cJSON_GetArraySize(files) == 2); /* config.json, model.safetensors */
	CHECK_STR(mstr(cJSON_GetArrayItem(files, 0), "sha256", NULL), file_sha256(config, want));
	CHECK(strlen(mstr(cJSON_GetArrayItem(files, 1), "header_sha256", NULL)) == 64);
	CHECK(mnum(man, "budget", "budget_bits") == 5.0 * 393216);
	CHECK(mnum(man, "budget", "total_params") == 393216);
	CHECK_STR(mstr(man, "budget", "accounting"), "weights");
	CHECK_STR(mstr(man, "strategy", "name"), "sensitivity");
	CHECK_STR(mstr(man, "scores", "sha256"), file_sha256(scores_path, want));
	/* the solver's optimum is the recipe's summed score, recomputed here from the file */
	double sum = 0;
	for (int i = 0; i < a.n_layers; i++)
		sum += scores_get(&sc, a.layers[i].name, &a.layers[i].weight);
	CHECK(mnum(man, "solver", "optimum") == sum);
	/* two runs, byte-identical files */
	cJSON *ja = recipe_to_json(&a), *jb = recipe_to_json(&b);
	char *ta = cJSON_Print(ja), *tb = cJSON_Print(jb);
	CHECK(ta && tb && strcmp(ta, tb) == 0);
	/* and the manifest survives a write and a read */
	char path[128];
	snprintf(path, sizeof path, "%s/r.json", tmpdir);
	struct recipe back;
	CHECK(recipe_write(&a, path, &err) == 0 && recipe_read(&back, path, &err) == 0);
	CHECK(cJSON_Compare(back.manifest, a.manifest, 1));
	CHECK(back.have_avg_bits && back.avg_bits[1] == a.avg_bits[1] && back.avg_bits[3] == -1);
	free(ta), free(tb);
	cJSON_Delete(ja), cJSON_Delete(jb);
	recipe_free(&back), recipe_free(&a), recipe_free(&b);
	scores_free(&sc);
	fixture_checkpoint_close(&m);
}

TEST(recipe_json_should_keep_accounting_averages_and_pins_and_refuse_bad_accounting)
{
	const char *good = "{\"accounting\": \"scales+zp\", \"avg_bits\": {\"weights\": 4, "
			   "\"scales\": 4.125, \"scales+zp\": 4.15625, \"gguf\": \"n/a\"}, \"layers\": "
			   "{\"x\": {\"weight\": \"BF16\", \"act\": \"BF16\", \"pinned\": true}}}";
	cJSON *j = cJSON_Parse(good);
	struct recipe r;
	struct bb_error err = {0};
	CHECK(recipe_from_json(&r, j, "t", &err) == 0);
	CHECK(r.accounting == ACCOUNT_SCALES_ZP && r.have_avg_bits);
	CHECK(r.avg_bits[1] == 4.125 && r.avg_bits[2] == 4.15625 && r.avg_bits[3] == -1);
	CHECK(r.layers[0].pinned && !r.layers[0].fixed && r.manifest == NULL);
	cJSON *back = recipe_to_json(&r);
	/* written back as read (plus the keys every recipe has) */
	CHECK(cJSON_Compare(cJSON_GetObjectItem(back, "avg_bits"), cJSON_GetObjectItem(j, "avg_bits"), 1));
	CHECK(cJSON_Compare(cJSON_GetObjectItem(back, "layers"), cJSON_GetObjectItem(j, "layers"), 1));
	CHECK_STR(cJSON_GetObjectItem(back, "accounting")->valuestring, "scales+zp");
	cJSON_Delete(back);
	cJSON_Delete(j);
	recipe_free(&r);
	static const char *bad[] = {"gguf", "bits", "Scales"};
	for (int i = 0; i < 3; i++) {
		char text[200];
		snprintf(text, sizeof text, "{\"accounting\": \"%s\", \"layers\": {}}", bad[i]);
		j = cJSON_Parse(text);
		CHECK(recipe_from_json(&r, j, "t", &err) == BB_EFORMAT);
		CHECK(strstr(err.msg, "'accounting' must be") != NULL);
		cJSON_Delete(j);
	}
	j = cJSON_Parse("{\"manifest\": [], \"layers\": {}}");
	CHECK(recipe_from_json(&r, j, "t", &err) == BB_EFORMAT && strstr(err.msg, "'manifest'"));
	cJSON_Delete(j);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bb-test-rigor-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(accounting_should_match_hand_computed_averages_on_llama_8b);
	RUN(budget_in_scales_zp_should_bound_that_average_and_the_others_follow);
	RUN(pins_should_fix_layers_count_them_and_leave_the_rest_to_the_strategy);
	RUN(pins_should_be_refused_with_a_message_naming_what_is_wrong);
	RUN(groups_should_parse_and_refuse_bad_lists);
	RUN(head_and_tail_should_move_whole_groups);
	RUN(knapsack_with_groups_should_match_brute_force_on_tinystories);
	RUN(check_recipe_should_refuse_split_groups_and_moved_pins);
	RUN(manifest_should_record_model_budget_scores_and_solver_and_be_deterministic);
	RUN(recipe_json_should_keep_accounting_averages_and_pins_and_refuse_bad_accounting);
	if (check_remove_tree(tmpdir) != 0)
		return 1;
	END_TESTS();
}
