/*
 * test_tasks.c: the lm-eval tasks without a model: how each task turns a row into
 * requests (one test per quirk of ../shared/docs/lm-eval.md section 2), the _encode_pair
 * token split (on the shared TinyStories tokenizer, no weights), scoring and metrics on
 * made-up log-probabilities checked against hand computation, the results schema, and
 * errors naming file and line.
 *
 * Expected strings and numbers are worked out in the comments. Hand-made rows live in
 * tests/fixtures/tasks/; the shared rows come from $SHARED/data/lm-eval. Run from the
 * repository root. Tests never write anywhere.
 */
#include "engine/tasks/encode_pair.h"
#include "engine/tasks/families.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/results.h"
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

// ---- scoring ----

static void set_logprobs(struct task *t, const double *lp, const bool *greedy)
{
	for (int i = 0; i < t->n_reqs; i++) {
		t->reqs[i].logprob = lp[i];
		t->reqs[i].is_greedy = greedy ? greedy[i] : false;
	}
}

/* acc takes the largest log-likelihood; acc_norm divides by the choice's characters.
 * Doc 0, gold 0: "He played." (10 chars) -5.0 and "He flew to the moon." (20 chars) -6.0:
 * acc argmax 0 (right); normalized -0.5 vs -0.3, acc_norm argmax 1 (wrong).
 * Characters, not bytes: "caf\xc3\xa9" has 4 characters (5 bytes). */
TEST(score_should_divide_acc_norm_by_characters)
{
	struct task t;
	struct bb_error err = {0};
	start_task(&t, "mc", TASK_MULTIPLE_CHOICE);
	CHECK(task_begin_doc(&t, 0, &err) == 0);
	CHECK(task_add_choice(&t, "Tom went to the park.", " ", "He played.", &err) == 0);
	CHECK(task_add_choice(&t, "Tom went to the park.", " ", "He flew to the moon.", &err) == 0);
	CHECK(task_begin_doc(&t, 1, &err) == 0);
	CHECK(task_add_choice(&t, "Q", " ", "caf\xc3\xa9", &err) == 0); /* 4 chars, 5 bytes */
	CHECK(task_add_choice(&t, "Q", " ", "abcde", &err) == 0);
	CHECK(t.reqs[2].choice_chars == 4);
	/* doc 1: -4.2 / 4 = -1.05 vs -5.1 / 5 = -1.02 -> acc_norm picks 1 (gold); by bytes it
	 * would be -4.2 / 5 = -0.84 and pick 0 */
	double lp[4] = {-5.0, -6.0, -4.2, -5.1};
	set_logprobs(&t, lp, NULL);
	task_score(&t);
	CHECK(t.docs[0].acc == 1.0 && t.docs[0].acc_norm == 0.0);
	CHECK(t.docs[1].acc == 0.0 && t.docs[1].acc_norm == 1.0);
	task_free(&t);
}

/* numpy.argmax: a tie goes to the first; acc for loglikelihood tasks is is_greedy. */
TEST(score_should_break_ties_like_numpy)
{
	struct task t;
	struct bb_error err = {0};
	start_task(&t, "mc", TASK_MULTIPLE_CHOICE);
	CHECK(task_begin_doc(&t, 1, &err) == 0);
	CHECK(task_add_choice(&t, "c", " ", "aa", &err) == 0);
	CHECK(task_add_choice(&t, "c", " ", "bb", &err) == 0);
	double lp[2] = {-2.0, -2.0};
	set_logprobs(&t, lp, NULL);
	task_score(&t);
	CHECK(t.docs[0].acc == 0.0 && t.docs[0].acc_norm == 0.0);
	task_free(&t);
	start_task(&t, "ll", TASK_LOGLIKELIHOOD);
	CHECK(task_begin_doc(&t, -1, &err) == 0 && task_add_request(&t, "a", " b", NULL, &err) == 0);
	CHECK(task_begin_doc(&t, -1, &err) == 0 && task_add_request(&t, "a", " c", NULL, &err) == 0);
	double lp2[2] = {-1.5, -0.5};
	bool greedy[2] = {false, true};
	set_logprobs(&t, lp2, greedy);
	task_score(&t);
	CHECK(t.docs[0].acc == 0.0 && t.docs[1].acc == 1.0 && t.docs[0].loglik == -1.5);
	task_free(&t);
}

// ---- metrics ----

/* 3 of 4 right: acc 0.75; sample variance (0.0625 * 3 + 0.5625) / 3 = 0.25, stderr
 * sqrt(0.25 / 4) = 0.25 (= sqrt(0.75 * 0.25 / 3)). One document: "N/A". */
TEST(metrics_should_give_acc_stderr_with_the_sample_variance)
{
	double x[4] = {1, 1, 0, 1};
	CHECK_NEAR(metric_mean(x, 4), 0.75, 1e-15);
	CHECK_NEAR(metric_mean_stderr(x, 4), 0.25, 1e-15);
	CHECK_NEAR(metric_mean_stderr(x, 4), sqrt(0.75 * 0.25 / 3), 1e-15);
	CHECK(isnan(metric_mean_stderr(x, 1)));
	/* 1 of 3: var = (4/9 + 1/9 + 1/9) / 2 = 1/3, stderr sqrt(1/9) = 1/3 */
	double y[3] = {0, 1, 0};
	CHECK_NEAR(metric_mean_stderr(y, 3), 1.0 / 3, 1e-15);
}

/* perplexity = exp(-mean(ll)): ll -1, -2, -3 -> exp(2). */
TEST(metrics_should_compute_perplexity_from_logprobs)
{
	double ll[3] = {-1, -2, -3};
	CHECK_NEAR(metric_perplexity(ll, 3), exp(2.0), 1e-12);
	/* word perplexity exp(-(-20 - 10) / (9 + 6)) = exp(2); bits per byte 30 / (63 ln 2) */
	double a[2] = {-20, -10}, words[2] = {9, 6}, bytes[2] = {42, 21};
	CHECK_NEAR(exp(-metric_weighted_mean(a, words, 2)), exp(2.0), 1e-12);
	CHECK_NEAR(-metric_weighted_mean(a, bytes, 2) / log(2.0), 30 / (63 * log(2.0)), 1e-12);
}

/* Python: random.Random(0).random() == 0.8444218515250481, Random(1) -> 0.13436424411240122,
 * Random(7) -> 0.32383276483316237, 0.15084917392450192, 0.6509344730398537. */
TEST(metrics_should_draw_python_random_numbers)
{
	struct py_random r;
	py_random_seed(&r, 0);
	CHECK(py_random_random(&r) == 0.8444218515250481);
	py_random_seed(&r, 1);
	CHECK(py_random_random(&r) == 0.13436424411240122);
	py_random_seed(&r, 7);
	CHECK(py_random_random(&r) == 0.32383276483316237);
	CHECK(py_random_random(&r) == 0.15084917392450192);
	CHECK(py_random_random(&r) == 0.6509344730398537);
}

/* lm-eval's bootstrap_stderr(perplexity, x, iters) run in Python 3.11 (the code of
 * lm_eval/api/metrics.py, seeds 0.. per chunk of 1000) gave, for x = [-1, -2.5, -0.3, -4,
 * -1.7]: iters 2000 -> 5.16711200845309, iters 500 -> 5.371092705648349; for the 11
 * values below with the default 100000 -> 42.761187643469746. */
TEST(metrics_should_bootstrap_perplexity_stderr_like_lm_eval)
{
	double x[5] = {-1.0, -2.5, -0.3, -4.0, -1.7}, se;
	struct bb_error err = {0};
	CHECK_NEAR(metric_perplexity(x, 5), 6.6858944422792685, 1e-14);
	CHECK(metric_bootstrap_perplexity_stderr(x, 5, 2000, &se, &err) == 0);
	CHECK_NEAR(se, 5.16711200845309, 1e-12);
	CHECK(metric_bootstrap_perplexity_stderr(x, 5, 500, &se, &err) == 0);
	CHECK_NEAR(se, 5.371092705648349, 1e-12);
	double y[11] = {-0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -0.9, -1.0, -12.5};
	CHECK(metric_bootstrap_perplexity_stderr(y, 11, EVAL_BOOTSTRAP_ITERS, &se, &err) == 0);
	CHECK_NEAR(se, 42.761187643469746, 1e-10);
	CHECK(metric_bootstrap_perplexity_stderr(x, 1, 2000, &se, &err) == 0 && isnan(se));
}

// ---- the mmlu group and the results object ----

/* Two subjects with made-up outcomes: A 1 of 2 (0.5, stderr 0.5), B 3 of 4 (0.75, stderr
 * 0.25). Group acc = (0.5 * 2 + 0.75 * 4) / 6 = 2/3 (not the 0.625 of a plain mean); pooled
 * stderr = sqrt(((2-1) * 0.25 * 2 + (4-1) * 0.0625 * 4) / (6 - 2) / 6) = sqrt(0.3125 / 6). */
static void two_subjects(struct task_list *tl)
{
	static const double outcome[2][4] = {{1, 0}, {1, 1, 0, 1}};
	struct bb_error err = {0};
	enum metric acc = METRIC_ACC;
	for (int s = 0; s < 2; s++) {
		struct task *t = task_list_add(tl);
		CHECK(t && task_init(t, s ? "mmlu_b" : "mmlu_a", TASK_MULTIPLE_CHOICE, &acc, 1, &err) == 0);
		strcpy(t->group, "mmlu");
		for (int d = 0; d < (s ? 4 : 2); d++) {
			CHECK(task_begin_doc(t, 0, &err) == 0);
			CHECK(task_add_choice(t, "q", " ", "A", &err) == 0);
			CHECK(task_add_choice(t, "q", " ", "B", &err) == 0);
			t->reqs[t->n_reqs - 2].logprob = outcome[s][d] ? -1 : -2;
			t->reqs[t->n_reqs - 1].logprob = -1.5;
		}
		t->n_original = t->n_docs;
		task_score(t);
	}
}

static double number_at(const cJSON *root, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, a), b);
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

TEST(group_should_weight_subjects_by_size)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	cJSON *res = NULL;
	two_subjects(&tl);
	struct results_meta meta = {.model_dir = "m", .bootstrap_iters = 1000};
	CHECK(results_build(&tl, &meta, &res, &err) == 0);
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(res, "results");
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(res, "groups");
	CHECK_NEAR(number_at(results, "mmlu", "acc,none"), 2.0 / 3, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu", "acc_stderr,none"), sqrt(0.3125 / 6), 1e-15);
	CHECK_NEAR(number_at(groups, "mmlu", "acc,none"), 2.0 / 3, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_a", "acc,none"), 0.5, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_a", "acc_stderr,none"), 0.5, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_b", "acc_stderr,none"), 0.25, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu", "sample_len"), 6, 0);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "group_subtasks"), "mmlu");
	CHECK(cJSON_GetArraySize(sub) == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "versions"),
					       "mmlu")->valuedouble == 2);
	cJSON_Delete(res);
	task_list_free(&tl);
}

/* The top-level keys and per-task fields of lm-eval's results (note section 1), on the
 * fixture winogrande task with made-up answers; one document leaves stderr "N/A". */
TEST(results_should_follow_lm_eval_schema)
{
	static const char *keys[] = {"results", "group_subtasks", "configs", "versions", "n-shot",
				     "higher_is_better", "n-samples", "config", "date",
				     "lm_eval_version", "samples"};
	struct task_list tl = {0};
	struct bb_error err = {0};
	cJSON *res = NULL;
	CHECK(tasks_load(&tl, "winogrande", FIX, 1, &err) == 0 && tl.n == 1);
	double lp[2] = {-3.0, -4.0};
	set_logprobs(&tl.tasks[0], lp, NULL);
	task_score(&tl.tasks[0]);
	struct results_meta meta = {.model_dir = "models/a b:c", .model_args = "pretrained=x",
				    .limit = 1, .batch_size = 64, .bootstrap_iters = 100000,
				    .log_samples = true};
	CHECK(results_build(&tl, &meta, &res, &err) == 0);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(res, keys[i]) != NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(res, "groups") == NULL);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "results"), "winogrande");
	CHECK_NEAR(number_at(cJSON_GetObjectItemCaseSensitive(res, "results"), "winogrande",
			     "acc,none"), 1.0, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "acc_stderr,none")), "N/A");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "alias")), "winogrande");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "n-samples"), "winogrande");
	CHECK(cJSON_GetObjectItemCaseSensitive(ns, "original")->valuedouble == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(ns, "effective")->valuedouble == 1);
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "configs"), "winogrande");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "dataset_name")),
		  "winogrande_xl");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "output_type")),
		  "multiple_choice");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "target_delimiter")), " ");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "model_name_sanitized")),
		  "models__a__b__c");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "lm_eval_version")),
		  "bitbudget-engine");
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "samples"), "winogrande"), 0);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "filtered_resps")) == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(s, "acc")->valuedouble == 1.0);
	cJSON_Delete(res);
	task_list_free(&tl);
}

// ---- custom tasks ----

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
	RUN(score_should_divide_acc_norm_by_characters);
	RUN(score_should_break_ties_like_numpy);
	RUN(metrics_should_give_acc_stderr_with_the_sample_variance);
	RUN(metrics_should_compute_perplexity_from_logprobs);
	RUN(metrics_should_draw_python_random_numbers);
	RUN(metrics_should_bootstrap_perplexity_stderr_like_lm_eval);
	RUN(group_should_weight_subjects_by_size);
	RUN(results_should_follow_lm_eval_schema);
	RUN(custom_should_load_each_descriptor_type);
	RUN(custom_perplexity_should_weight_by_words_and_bytes);
	RUN(tasks_should_name_file_and_line_of_a_bad_row);
	RUN(tasks_should_name_a_missing_file_and_reject_unknown_tasks);
	END_TESTS();
}
