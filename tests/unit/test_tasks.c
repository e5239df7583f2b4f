/*
 * test_tasks.c: the lm-eval tasks without a model: how each task turns a row into
 * requests (one test per quirk of ../shared/docs/lm-eval.md section 2), the _encode_pair
 * token split (on the shared TinyStories tokenizer, no weights), custom tasks, and errors
 * naming file and line (scoring, metrics and the results object: test_task_scoring.c).
 *
 * Expected strings and numbers are worked out in the comments. Hand-made rows live in
 * tests/fixtures/tasks/; the shared rows come from $SHARED/data/lm-eval. Run from the
 * repository root. Tests never write anywhere.
 */
#include "engine/tasks/encode_pair.h"
#include "engine/tasks/families.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/tasks.h"
#include "engine/tasks/text.h"

#include "engine/tokenizer/tokenizer.h"
#include "tests/unit/check.h"

#define FIX "tests/fixtures/tasks"

static const char *shared_data(void)
{
	static char dir[1024]; /* written once, the same value every time */
	snprintf(dir, sizeof dir, "%s/data/lm-eval", shared_dir());
	return dir;
}

/* A task of one output type, as the loaders make them. */
static void start_task(struct task *t, const char *name, enum task_output output)
{
	enum metric m[2] = {METRIC_ACC, METRIC_ACC_NORM};
	struct bb_error err = {0};
	CHECK(task_init(t, name, output, m, output == TASK_MULTIPLE_CHOICE ? 2 : 1, &err) == 0);
}

/* Add the row written as JSON through add_doc; returns its status. */
static int add_row(struct task *t, task_add_doc_fn add_doc, const char *json,
		   struct bb_error *err)
{
	cJSON *row = cJSON_Parse(json);
	CHECK(row != NULL);
	int rc = row ? add_doc(t, row, err) : -1;
	cJSON_Delete(row);
	return rc;
}

static const struct task *find_task(const struct task_list *tl, const char *name)
{
	for (int i = 0; i < tl->n; i++)
		if (!strcmp(tl->tasks[i].name, name))
			return &tl->tasks[i];
	return NULL;
}

// ---- lambada_openai ----

/* Context = text up to the last ' ', continuation = ' ' + the last piece, whatever it holds
 * (quotes, line breaks); a text with no space has an empty context. */
TEST(lambada_should_split_at_the_last_space)
{
	struct task t;
	struct bb_error err = {0};
	start_task(&t, "lambada_openai", TASK_LOGLIKELIHOOD);
	CHECK(add_row(&t, lambada_add_doc, "{\"text\": \"He looked at the old map\"}", &err) == 0);
	CHECK(add_row(&t, lambada_add_doc, "{\"text\": \"She whispered, \\\"Nadia\"}", &err) == 0);
	CHECK(add_row(&t, lambada_add_doc, "{\"text\": \"the ring of\\n\\nPower\"}", &err) == 0);
	CHECK(add_row(&t, lambada_add_doc, "{\"text\": \"Alone\"}", &err) == 0);
	CHECK(add_row(&t, lambada_add_doc, "{\"text\": \"two  spaces\"}", &err) == 0);
	CHECK(t.n_docs == 5 && t.n_reqs == 5);
	if (t.n_reqs == 5) {
		CHECK_STR(t.reqs[0].context, "He looked at the old");
		CHECK_STR(t.reqs[0].continuation, " map");
		CHECK_STR(t.reqs[1].context, "She whispered,");
		CHECK_STR(t.reqs[1].continuation, " \"Nadia");
		CHECK_STR(t.reqs[2].context, "the ring");
		CHECK_STR(t.reqs[2].continuation, " of\n\nPower");
		CHECK_STR(t.reqs[3].context, "");
		CHECK_STR(t.reqs[3].continuation, " Alone");
		/* "two  spaces".split(' ') = ['two', '', 'spaces']: context "two " */
		CHECK_STR(t.reqs[4].context, "two ");
		CHECK_STR(t.reqs[4].continuation, " spaces");
	}
	CHECK(add_row(&t, lambada_add_doc, "{\"txt\": \"x\"}", &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "'text'") != NULL);
	task_free(&t);
}

/* The shared file: 5153 documents; doc 70's last word follows a quote, doc 426's holds
 * a paragraph break, as the note lists. */
TEST(lambada_should_load_the_shared_test_split)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "lambada_openai", shared_data(), 0, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0 && tl.n == 1);
	if (rc == 0 && tl.n == 1) {
		const struct task *t = &tl.tasks[0];
		CHECK(t->n_original == 5153 && t->n_docs == 5153);
		CHECK_STR(t->reqs[70].continuation, " \"Nadia");
		CHECK_STR(t->reqs[426].continuation, " of\n\nPower");
		CHECK(t->output == TASK_LOGLIKELIHOOD && t->metrics[0] == METRIC_PERPLEXITY &&
		      t->metrics[1] == METRIC_ACC);
	}
	task_list_free(&tl);
	rc = tasks_load(&tl, "lambada_openai", shared_data(), 5, &err);
	CHECK(rc == 0 && tl.n == 1 && tl.tasks[0].n_docs == 5 && tl.tasks[0].n_original == 5153);
	task_list_free(&tl);
}

// ---- hellaswag ----

/* preprocess: strip; " [title]" -> ". "; delete [...] (not across a newline); "  " -> " "
 * once (so "   " stays "  "). */
TEST(hellaswag_should_preprocess_like_lm_eval)
{
	static const char *cases[][2] = {
		/* strip, then ". " for " [title]", then the tag goes: " How to fly.  Flap." */
		{"  [header] How to fly [title] Flap.  ", " How to fly. Flap."},
		/* strip runs first, so the removed tag leaves a leading space */
		{"[step] Use a wire brush.", " Use a wire brush."},
		{"Spray  it  [substeps] with water .", "Spray it  with water ."},
		{"Wait   three minutes.", "Wait  three minutes."},
		{"a [b\nc] d [e]f", "a [b\nc] d f"},
		{"[a [b] c]", " c]"},
		{"no brackets", "no brackets"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = hellaswag_preprocess(cases[i][0], strlen(cases[i][0]));
		CHECK_STR(got, cases[i][1]);
		free(got);
	}
}

/* The fixture row. query = preprocess("Home and Garden: [header] How to clean a grill
 * [title] Heat the grill. " + "then SCRUB the grates".capitalize()):
 *   capitalize          -> "Then scrub the grates"
 *   " [title]" -> ". "  -> "... a grill.  Heat the grill. Then scrub the grates"
 *   drop [header]       -> "Home and Garden:  How to clean a grill.  Heat ..."
 *   "  " -> " "         -> "Home and Garden: How to clean a grill. Heat the grill. Then
 *                           scrub the grates"
 * endings -> " Use a wire brush." (18 chars), "Spray it  with water ." (22),
 * " Let it cool " (13), "Wait  three minutes." (20); label "2" -> gold 2. */
TEST(hellaswag_should_build_query_and_choices_of_a_hand_row)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "hellaswag", FIX, 0, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0 && tl.n == 1);
	if (rc == 0 && tl.n == 1 && tl.tasks[0].n_reqs == 4) {
		const struct task *t = &tl.tasks[0];
		static const char *conts[4] = {"  Use a wire brush.", " Spray it  with water .",
					       "  Let it cool ", " Wait  three minutes."};
		static const long chars[4] = {18, 22, 13, 20};
		CHECK(t->n_docs == 1 && t->docs[0].gold == 2 && t->n_original == 1);
		for (int i = 0; i < 4; i++) {
			CHECK_STR(t->reqs[i].context, "Home and Garden: How to clean a grill. Heat the "
				  "grill. Then scrub the grates");
			CHECK_STR(t->reqs[i].continuation, conts[i]);
			CHECK(t->reqs[i].choice_chars == chars[i]);
		}
	} else {
		CHECK(0);
	}
	task_list_free(&tl);
}

/* str.capitalize(): first character upper case, every other one lower case, beyond
 * ASCII too. */
TEST(text_should_capitalize_like_python)
{
	struct strbuf b = {0};
	py_capitalize(&b, "then SCRUB the grates", 21);
	char *s = strbuf_take(&b);
	CHECK_STR(s, "Then scrub the grates");
	free(s);
	const char *mixed = "\xc3\xa9" "COLE \xc3\x89T\xc3\x89 \xc3\x80" "B"; /* éCOLE ÉTÉ ÀB */
	py_capitalize(&b, mixed, strlen(mixed));
	s = strbuf_take(&b);
	CHECK_STR(s, "\xc3\x89" "cole \xc3\xa9t\xc3\xa9 \xc3\xa0" "b");   /* École été àb */
	free(s);
}

// ---- piqa ----

/* The first shared row: "Question: " + goal + "\nAnswer:", continuations " " + sol. */
TEST(piqa_should_build_the_prompt_of_the_first_shared_row)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "piqa", shared_data(), 2, &err);
	CHECK(rc == 0 && tl.n == 1);
	if (rc == 0 && tl.n == 1 && tl.tasks[0].n_reqs == 4) {
		const struct task *t = &tl.tasks[0];
		CHECK(t->n_original == 1838 && t->n_docs == 2 && t->docs[0].gold == 0);
		CHECK_STR(t->reqs[0].context, "Question: How do I ready a guinea pig cage for it's "
			  "new occupants?\nAnswer:");
		CHECK_STR(t->reqs[1].context, t->reqs[0].context);
		CHECK_STR(t->reqs[0].continuation, " Provide the guinea pig with a cage full of a "
			  "few inches of bedding made of ripped paper strips, you will also need to "
			  "supply it with a water bottle and a food dish.");
		CHECK_STR(t->reqs[1].continuation, " Provide the guinea pig with a cage full of a "
			  "few inches of bedding made of ripped jeans material, you will also need to "
			  "supply it with a water bottle and a food dish.");
		/* row 2's solutions keep their trailing space */
		CHECK_STR(t->reqs[2].continuation, " replace drawer with bobby pin ");
		CHECK(t->reqs[2].choice_chars == 30 && t->docs[1].gold == 1);
	} else {
		CHECK(0);
	}
	task_list_free(&tl);
}

// ---- winogrande ----

/* Partial scoring: two contexts sentence[:idx] + option, one continuation
 * " " + sentence[idx+1:].strip(); gold = answer - 1. */
TEST(winogrande_should_pair_two_contexts_with_one_continuation)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "winogrande", FIX, 0, &err);
	CHECK(rc == 0 && tl.n == 1);
	if (rc == 0 && tl.n == 1 && tl.tasks[0].n_reqs == 4) {
		const struct task *t = &tl.tasks[0];
		CHECK(t->n_docs == 2 && t->docs[0].gold == 0 && t->docs[1].gold == 1);
		CHECK_STR(t->reqs[0].context, "Sarah was a much better surgeon than Maria so Sarah");
		CHECK_STR(t->reqs[1].context, "Sarah was a much better surgeon than Maria so Maria");
		CHECK_STR(t->reqs[0].continuation, " always got the harder cases.");
		CHECK_STR(t->reqs[1].continuation, " always got the harder cases.");
		CHECK_STR(t->reqs[2].context, "The trophy doesn't fit into the brown suitcase "
			  "because the trophy");
		CHECK_STR(t->reqs[3].context, "The trophy doesn't fit into the brown suitcase "
			  "because the suitcase");
		CHECK_STR(t->reqs[3].continuation, " is too large.");
		CHECK(t->metrics[0] == METRIC_ACC && t->n_metrics == 1);
	} else {
		CHECK(0);
	}
	task_list_free(&tl);
	struct task w;
	start_task(&w, "winogrande", TASK_MULTIPLE_CHOICE);
	CHECK(add_row(&w, winogrande_add_doc, "{\"sentence\": \"no blank\", \"option1\": \"a\", "
		      "\"option2\": \"b\", \"answer\": \"1\"}", &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "'_'") != NULL);
	CHECK(add_row(&w, winogrande_add_doc, "{\"sentence\": \"a _ b\", \"option1\": \"a\", "
		      "\"option2\": \"b\", \"answer\": \"3\"}", &err) == BB_EFORMAT);
	task_free(&w);
}

// ---- mmlu ----

/* Doc 0 of abstract_algebra, the note's example: description, question.strip(), lettered
 * choices, "Answer:"; continuations " A".." D"; gold " B". */
TEST(mmlu_should_build_the_abstract_algebra_prompt_of_the_first_shared_row)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "mmlu", shared_data(), 1, &err);
	CHECK(rc == 0 && tl.n == 57);
	const struct task *t = rc ? NULL : find_task(&tl, "mmlu_abstract_algebra");
	CHECK(t != NULL);
	if (t && t->n_reqs == 4) {
		static const char *conts[4] = {" A", " B", " C", " D"};
		CHECK_STR(t->alias, "abstract_algebra");
		CHECK_STR(t->group, "mmlu");
		CHECK(t->docs[0].gold == 1);
		for (int i = 0; i < 4; i++) {
			CHECK_STR(t->reqs[i].context,
				  "The following are multiple choice questions (with answers) about "
				  "abstract algebra.\n\nFind the degree for the given field extension "
				  "Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:");
			CHECK_STR(t->reqs[i].continuation, conts[i]);
		}
	}
	t = rc ? NULL : find_task(&tl, "mmlu_high_school_government_and_politics");
	CHECK(t && strstr(t->reqs[0].context, "The following are multiple choice questions (with "
			  "answers) about high school government and politics.\n\n") ==
			   t->reqs[0].context);
	task_list_free(&tl);
}

/* limit N keeps the first N documents of EACH subject; originals stay the subject sizes. */
TEST(mmlu_should_limit_each_subject)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, "mmlu", shared_data(), 3, &err);
	CHECK(rc == 0 && tl.n == 57);
	long original = 0;
	for (int i = 0; i < tl.n; i++) {
		CHECK(tl.tasks[i].n_docs == 3 && tl.tasks[i].n_reqs == 12);
		original += tl.tasks[i].n_original;
	}
	CHECK(original == 14042);
	const struct task *t = find_task(&tl, "mmlu_professional_law");
	CHECK(t && t->n_original == 1534);
	task_list_free(&tl);
}

// ---- requests to tokens ----

static struct tokenizer *shared_tokenizer(void)
{
	char dir[1024];
	struct tokenizer *tok = NULL;
	struct bb_error err = {0};
	snprintf(dir, sizeof dir, "%s/models/tinystories-656k", shared_dir());
	CHECK(tokenizer_load(&tok, dir, &err) == 0);
	return tok;
}

static bool same_ids(const int *a, int na, const int *b, int nb)
{
	return na == nb && (na == 0 || !memcmp(a, b, (size_t)na * sizeof(int)));
}

/* _encode_pair: "Hello world " + "again" scores as "Hello world" + " again": ctx =
 * encode("Hello world"), cont = encode("Hello world again")[len(ctx):]. */
TEST(encode_pair_should_move_trailing_whitespace_to_the_continuation)
{
	CHECK(encode_pair_split("Hello world \n ", 14) == 11);
	CHECK(encode_pair_split("Answer:", 7) == 7);
	CHECK(encode_pair_split("x\xc2\xa0", 3) == 1); /* NBSP is whitespace to Python */
	struct tokenizer *tok = shared_tokenizer();
	if (!tok)
		return;
	struct encode_policy none = {.bos_id = -1, .prefix_id = tokenizer_bos(tok)};
	struct pair_tokens p;
	struct bb_error err = {0};
	int *ctx, n_ctx, *whole, n_whole;
	CHECK(tokenizer_encode(tok, "Hello world", 11, 0, &ctx, &n_ctx, &err) == 0);
	CHECK(tokenizer_encode(tok, "Hello world again", 17, 0, &whole, &n_whole, &err) == 0);
	CHECK(encode_pair(tok, &none, "Hello world ", "again", NULL, &p, &err) == 0);
	CHECK(same_ids(p.ctx, p.n_ctx, ctx, n_ctx));
	CHECK(n_whole > n_ctx && same_ids(p.cont, p.n_cont, whole + n_ctx, n_whole - n_ctx));
	pair_tokens_free(&p);
	/* BOS policy: BOS before the context tokens, continuation unchanged */
	struct encode_policy bos = {.bos_id = tokenizer_bos(tok), .prefix_id = tokenizer_bos(tok)};
	CHECK(encode_pair(tok, &bos, "Hello world", " again", NULL, &p, &err) == 0);
	CHECK(p.n_ctx == n_ctx + 1 && p.ctx[0] == tokenizer_bos(tok) &&
	      same_ids(p.ctx + 1, n_ctx, ctx, n_ctx));
	CHECK(same_ids(p.cont, p.n_cont, whole + n_ctx, n_whole - n_ctx));
	pair_tokens_free(&p);
	free(ctx);
	free(whole);
	tokenizer_free(tok);
}

/* An empty context is [prefix token] (BOS, else EOS) and the continuation encoded alone;
 * the tokenizer's default (-1) follows tokenizer_config.json (TinyStories: add_bos). */
TEST(encode_pair_should_use_the_prefix_token_for_an_empty_context)
{
	struct tokenizer *tok = shared_tokenizer();
	if (!tok)
		return;
	struct encode_policy p;
	struct pair_tokens pt;
	struct bb_error err = {0};
	int *alone, n_alone;
	CHECK(encode_policy_for(tok, -1, &p, &err) == 0 && p.bos_id == tokenizer_bos(tok));
	CHECK(encode_policy_for(tok, 0, &p, &err) == 0 && p.bos_id == -1);
	CHECK(p.prefix_id == tokenizer_bos(tok) && p.prefix_id >= 0);
	CHECK(tokenizer_encode(tok, " Alone", 6, 0, &alone, &n_alone, &err) == 0);
	CHECK(encode_pair(tok, &p, "", " Alone", NULL, &pt, &err) == 0);
	CHECK(pt.n_ctx == 1 && pt.ctx[0] == tokenizer_bos(tok));
	CHECK(same_ids(pt.cont, pt.n_cont, alone, n_alone));
	pair_tokens_free(&pt);
	free(alone);
	tokenizer_free(tok);
}

/* TinyStories' pieces span words: "Once upon a" is 6 tokens (.. 'up' 'on' '\u2581a') but
 * "Once upon a time" only 5 (.. 'upon\u2581a\u2581tim' 'e'), so whole[len(ctx):] is empty.
 * lm-eval asserts there; we score from the first token where the encodings differ, so the
 * continuation is 'upon\u2581a\u2581tim' 'e' after the shared prefix, and mark the pair.
 * And part of a continuation can vanish: "Tom went to the park." is [\u2581, Tom\u2581,
 * went\u2581to\u2581the\u2581park, .] but the whole text is [.., .\u2581He\u2581, play, ed, .],
 * so whole[4:] = [play, ed, .]: " He" is never scored, exactly as in lm-eval. */
TEST(encode_pair_should_score_a_swallowed_continuation_from_the_first_difference)
{
	struct tokenizer *tok = shared_tokenizer();
	if (!tok)
		return;
	struct encode_policy p = {.bos_id = -1, .prefix_id = tokenizer_bos(tok)};
	struct pair_tokens pt;
	struct bb_error err = {0};
	CHECK(encode_pair(tok, &p, "Once upon a", " time", NULL, &pt, &err) == 0);
	CHECK(pt.merged && pt.n_cont == 2 && pt.n_ctx + pt.n_cont == 5);
	if (pt.n_cont == 2) {
		CHECK_STR(tokenizer_piece(tok, pt.cont[0]), "upon\u2581a\u2581tim");
		CHECK_STR(tokenizer_piece(tok, pt.cont[1]), "e");
	}
	pair_tokens_free(&pt);
	CHECK(encode_pair(tok, &p, "Tom went to the park.", " He played.", NULL, &pt, &err) == 0);
	CHECK(pt.n_ctx == 4 && pt.n_cont == 3);
	if (pt.n_ctx == 4 && pt.n_cont == 3) {
		CHECK_STR(tokenizer_piece(tok, pt.ctx[3]), ".");
		CHECK_STR(tokenizer_piece(tok, pt.cont[0]), "play");
		CHECK_STR(tokenizer_piece(tok, pt.cont[2]), ".");
	}
	pair_tokens_free(&pt);
	tokenizer_free(tok);
}

// ---- custom tasks ----

static void set_logprobs(struct task *t, const double *lp, const bool *greedy)
{
	for (int i = 0; i < t->n_reqs; i++) {
		t->reqs[i].logprob = lp[i];
		t->reqs[i].is_greedy = greedy ? greedy[i] : false;
	}
}

TEST(custom_should_load_each_descriptor_type)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	int rc = tasks_load(&tl, FIX "/custom/story_mc.json", NULL, 0, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	rc = rc ? rc : tasks_load(&tl, FIX "/custom/story_cloze.json", NULL, 0, &err);
	rc = rc ? rc : tasks_load(&tl, FIX "/custom/story_text.json", NULL, 0, &err);
	CHECK(rc == 0 && tl.n == 3);
	if (rc == 0 && tl.n == 3) {
		const struct task *mc = &tl.tasks[0], *cloze = &tl.tasks[1], *text = &tl.tasks[2];
		CHECK_STR(mc->name, "story_mc");
		CHECK(mc->n_docs == 2 && mc->n_reqs == 5 && mc->n_metrics == 2 && mc->config.version == 2);
		CHECK_STR(mc->reqs[0].context, "Pick the ending.\n\nTom went to the park.");
		CHECK_STR(mc->reqs[1].continuation, " He flew to the moon.");
		CHECK(cloze->output == TASK_LOGLIKELIHOOD && cloze->n_metrics == 1 &&
		      cloze->metrics[0] == METRIC_ACC);
		CHECK_STR(cloze->reqs[0].context, "Tom went to the park.");
		CHECK_STR(cloze->reqs[0].continuation, " He played.");
		/* len(re.split(r"\s+", s)): 9 words; " two  spaces\tand tab " -> 6 (empty ends) */
		CHECK(text->output == TASK_ROLLING && text->reqs[0].context == NULL);
		CHECK(text->docs[0].words == 9 && text->docs[0].bytes == 42);
		CHECK(text->docs[1].words == 6 && text->docs[1].bytes == 21);
	}
	task_list_free(&tl);
	CHECK(tasks_load(&tl, FIX "/custom/bad_type.json", NULL, 0, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "bad_type.json") && strstr(err.msg, "\"type\""));
	CHECK(tl.n == 0);
	task_list_free(&tl);
	/* the registry hands the custom family its list of taken names: a built-in's is one */
	CHECK(tasks_load(&tl, FIX "/custom/builtin_name.json", NULL, 0, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "builtin_name.json") && strstr(err.msg, "'piqa' is not a usable"));
	CHECK(tl.n == 0);
	task_list_free(&tl);
}

/* word_perplexity exp(-sum ll / sum words), byte_perplexity exp(-sum ll / sum bytes),
 * bits_per_byte -sum ll / (sum bytes ln 2): ll -20, -10 over 9 + 6 words, 42 + 21 bytes. */
TEST(custom_perplexity_should_weight_by_words_and_bytes)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	struct metric_result m[TASK_MAX_METRICS];
	int n = 0;
	CHECK(tasks_load(&tl, FIX "/custom/story_text.json", NULL, 0, &err) == 0 && tl.n == 1);
	if (tl.n != 1)
		return;
	double lp[2] = {-20, -10};
	set_logprobs(&tl.tasks[0], lp, NULL);
	task_score(&tl.tasks[0]);
	CHECK(task_aggregate(&tl.tasks[0], 1000, m, &n, &err) == 0 && n == 3);
	CHECK(m[0].metric == METRIC_WORD_PERPLEXITY && m[1].metric == METRIC_BYTE_PERPLEXITY);
	CHECK_NEAR(m[0].value, exp(2.0), 1e-12);
	CHECK_NEAR(m[1].value, exp(30.0 / 63), 1e-12);
	CHECK_NEAR(m[2].value, 30.0 / (63 * log(2.0)), 1e-12);
	CHECK(isnan(m[0].stderr_) && isnan(m[2].stderr_)); /* lm-eval: "N/A" */
	task_list_free(&tl);
}

// ---- errors ----

TEST(tasks_should_name_file_and_line_of_a_bad_row)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	CHECK(tasks_load(&tl, "piqa", FIX "/bad_row", 0, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "bad_row/piqa.validation.jsonl' line 3: field 'sol2'") != NULL);
	CHECK(tl.n == 0);
	CHECK(tasks_load(&tl, "piqa", FIX "/bad_json", 0, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "bad_json/piqa.validation.jsonl' line 2: malformed JSON") != NULL);
	/* rows past the limit are still checked */
	CHECK(tasks_load(&tl, "piqa", FIX "/bad_row", 1, &err) == BB_EFORMAT);
	CHECK(tl.n == 0);
	task_list_free(&tl);
}

TEST(tasks_should_name_a_missing_file_and_reject_unknown_tasks)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	CHECK(tasks_load(&tl, "hellaswag", FIX "/custom", 0, &err) == BB_EIO);
	CHECK(strstr(err.msg, "custom/hellaswag.validation.jsonl") != NULL);
	CHECK(tasks_load(&tl, "arc_easy", FIX, 0, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "unknown task 'arc_easy'") != NULL);
	CHECK(tasks_load(&tl, FIX "/custom/nothing.json", NULL, 0, &err) == BB_EIO);
	CHECK(strstr(err.msg, "nothing.json") != NULL);
	CHECK(tasks_load(&tl, "winogrande", FIX, 0, &err) == 0);
	CHECK(tasks_load(&tl, "winogrande", FIX, 0, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "listed twice") != NULL && tl.n == 1);
	task_list_free(&tl);
	cJSON *names = task_builtin_names();
	CHECK(cJSON_GetArraySize(names) == 5);
	cJSON_Delete(names);
}

int main(void)
{
	RUN(lambada_should_split_at_the_last_space);
	RUN(lambada_should_load_the_shared_test_split);
	RUN(hellaswag_should_preprocess_like_lm_eval);
	RUN(hellaswag_should_build_query_and_choices_of_a_hand_row);
	RUN(text_should_capitalize_like_python);
	RUN(piqa_should_build_the_prompt_of_the_first_shared_row);
	RUN(winogrande_should_pair_two_contexts_with_one_continuation);
	RUN(mmlu_should_build_the_abstract_algebra_prompt_of_the_first_shared_row);
	RUN(mmlu_should_limit_each_subject);
	RUN(encode_pair_should_move_trailing_whitespace_to_the_continuation);
	RUN(encode_pair_should_use_the_prefix_token_for_an_empty_context);
	RUN(encode_pair_should_score_a_swallowed_continuation_from_the_first_difference);
	RUN(custom_should_load_each_descriptor_type);
	RUN(custom_perplexity_should_weight_by_words_and_bytes);
	RUN(tasks_should_name_file_and_line_of_a_bad_row);
	RUN(tasks_should_name_a_missing_file_and_reject_unknown_tasks);
	END_TESTS();
}
