/*
 * test_report_kld.c: the KLD part of planning and collecting (issue 11).
 *
 * An experiment measuring acc and kld on a paper model planned from its config (BF16,
 * head 5, tail 4.5, pure 3: MXFP4/MXFP8 reach 4 to 8 bits, so pure 3 is unreachable) is
 * planned into a temporary results folder: one kld item per reachable quantized row, keys
 * that follow the evaluation text and not the tasks' results, no job for the unreachable
 * row. Fake kld results with hand-picked per-document figures are written where the plan
 * expects them, and the collected cells are checked against hand arithmetic (sums are
 * mean x tokens, the log of a perplexity x tokens). Never writes outside its mkdtemp
 * folder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/fileio.h"
#include "harness/plan.h"
#include "harness/report_collect.h"

static char dir[64];

static const char experiment_json[] =
	"{\"name\": \"kld\", \"title\": \"KLD\", \"options\": [\"MXFP4\", \"MXFP8\"],"
	" \"tasks\": [\"piqa\"], \"measures\": [\"acc\", \"kld\"],"
	" \"models\": [{\"name\": \"Llama\", \"hf_id\": \"x/y\", \"dir\": \"Llama-3.1-8B-Instruct\"}],"
	" \"rows\": [{\"label\": \"BF16\", \"strategy\": \"bf16\"},"
	" {\"label\": \"Head\", \"strategy\": \"head\", \"avg_bits\": 5},"
	" {\"label\": \"Tail\", \"strategy\": \"tail\", \"avg_bits\": 4.5},"
	" {\"label\": \"Pure 3\", \"strategy\": \"pure\", \"avg_bits\": 3}]}";

static int load(struct experiment *e, const char *eval_text)
{
	char path[128];
	struct bb_error err;
	snprintf(path, sizeof path, "%s/kld.json", dir);
	int rc = write_file_atomic(path, experiment_json, strlen(experiment_json), &err);
	if (!rc)
		rc = experiment_load(e, path, MODEL_SET_PAPER, NULL, NULL, &err);
	if (!rc && eval_text)
		rc = experiment_set_eval_text(e, eval_text, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return rc;
}

static int plan(struct plan *p, const struct experiment *e)
{
	char results[96];
	snprintf(results, sizeof results, "%s/results", dir);
	struct plan_settings s = {results, 0, "test-endpoint", "deltaloss", 16, 256,
				  "experiments/calibration/default.txt"};
	struct bb_error err;
	int rc = plan_build(p, e, &s, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return rc;
}

static const struct plan_item *find(const struct plan *p, enum plan_kind kind, int row)
{
	for (int i = 0; i < p->n; i++)
		if (p->items[i].kind == kind && p->items[i].row == row)
			return &p->items[i];
	return NULL;
}

TEST(plan_should_give_each_reachable_quantized_row_a_kld_job)
{
	struct experiment e;
	struct plan p = {0};
	if (load(&e, NULL) || plan(&p, &e))
		return;
	CHECK(e.measure_acc && e.measure_kld);
	CHECK_STR(e.eval_text, "experiments/eval/default.txt");
	CHECK(find(&p, PLAN_KLD, 0) == NULL); /* BF16: 0 by definition */
	CHECK(find(&p, PLAN_KLD, 3) == NULL); /* unreachable */
	const struct plan_item *head = find(&p, PLAN_KLD, 1), *tail = find(&p, PLAN_KLD, 2);
	const struct plan_item *pure = find(&p, PLAN_EVAL, 3);
	CHECK(head && tail && pure);
	if (!head || !tail || !pure)
		return;
	CHECK(pure->unreachable && !pure->key[0]);
	CHECK(plan_pending(&p, PLAN_EVAL) == 3 && plan_pending(&p, PLAN_KLD) == 2);
	CHECK_NEAR(p.reach_lo[0], 4, 1e-9);
	CHECK_NEAR(p.reach_hi[0], 8, 1e-9);
	const struct plan_item *head_eval = &p.items[head->of];
	CHECK(head_eval->kind == PLAN_EVAL && head_eval->row == 1);
	CHECK_STR(head->recipe_hash, head_eval->recipe_hash);
	CHECK(strcmp(head->key, head_eval->key) != 0 && strcmp(head->key, tail->key) != 0);
	char key[65], eval_key[65];
	memcpy(key, head->key, sizeof key);
	memcpy(eval_key, head_eval->key, sizeof eval_key);
	plan_free(&p);
	experiment_free(&e);
	/* another evaluation text: other kld keys, the same evaluation keys */
	if (load(&e, "experiments/calibration/default.txt") || plan(&p, &e))
		return;
	CHECK(strcmp(find(&p, PLAN_KLD, 1)->key, key) != 0);
	CHECK_STR(p.items[find(&p, PLAN_KLD, 1)->of].key, eval_key);
	plan_free(&p);
	experiment_free(&e);
}

/* A kld result: two documents (10 tokens; 0 tokens, nothing measured) and the summary. */
static void write_fake_kld(const char *path)
{
	static const char text[] =
		"{\"kind\": \"kld\", \"kld\": {\"text\": \"eval.txt\", \"n_documents\": 2,"
		" \"overlap\": {\"shared_token_ngrams\": 3, \"text_token_ngrams\": 100},"
		" \"summary\": {\"n_tokens\": 10, \"mean_kld\": 0.2, \"se_kld\": 0.01,"
		" \"median_kld\": 0.1, \"p90_kld\": 0.5, \"p99_kld\": 0.9, \"max_kld\": 1.5,"
		" \"top1_agreement_pct\": 50, \"ref_perplexity\": 2.718281828459045,"
		" \"perplexity\": 7.38905609893065, \"perplexity_ratio\": 2.718281828459045},"
		" \"documents\": [{\"n_tokens\": 10, \"mean_kld\": 0.2, \"top1_agreement_pct\": 50,"
		" \"ref_perplexity\": 2.718281828459045, \"perplexity\": 7.38905609893065},"
		" {\"n_tokens\": 0, \"mean_kld\": null, \"top1_agreement_pct\": null,"
		" \"ref_perplexity\": null, \"perplexity\": null}]}}";
	struct bb_error err;
	CHECK(write_file_atomic(path, text, sizeof text - 1, &err) == 0);
}

TEST(report_should_collect_kld_summaries_and_per_document_sums)
{
	struct experiment e;
	struct plan p = {0};
	if (load(&e, NULL) || plan(&p, &e))
		return;
	write_fake_kld(find(&p, PLAN_KLD, 1)->result);
	plan_collect(&p);
	struct report *r = calloc(1, sizeof *r);
	struct bb_error err;
	CHECK(r && report_collect(r, &e, &p, 0, &err) == 0);
	const struct report_kld *k = &r->cells[1][0].kld;
	CHECK(k->have && k->n_tokens == 10 && k->n_docs == 2);
	CHECK_NEAR(k->mean_kld, 0.2, 1e-12);
	CHECK_NEAR(k->top1, 0.5, 1e-12);
	CHECK_NEAR(k->ppl_ratio, exp(1), 1e-12);
	CHECK_NEAR(k->doc_tokens[0], 10, 1e-12);
	CHECK_NEAR(k->doc_kld[0], 2, 1e-12);
	CHECK_NEAR(k->doc_top1[0], 5, 1e-12);
	CHECK_NEAR(k->doc_nll_ref[0], 10, 1e-9);
	CHECK_NEAR(k->doc_nll_quant[0], 20, 1e-9);
	CHECK(k->doc_tokens[1] == 0 && k->doc_kld[1] == 0 && k->doc_nll_quant[1] == 0);
	CHECK(!r->cells[0][0].kld.have && !r->cells[2][0].kld.have); /* BF16; no result */
	CHECK(r->cells[3][0].unreachable && !r->cells[1][0].unreachable);
	CHECK(r->kld_tokens == 10 && r->kld_docs == 2);
	CHECK_STR(r->kld_text, "eval.txt");
	CHECK(r->overlap_shared == 3 && r->overlap_total == 100);
	CHECK(r->reach_lo && r->reach_hi);
	if (r->reach_lo)
		CHECK_NEAR(r->reach_lo[0], 4, 1e-9);
	report_free(r);
	CHECK(r->cells == NULL && r->reach_lo == NULL);
	free(r);
	plan_free(&p);
	experiment_free(&e);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/bb-test-report-kld-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(plan_should_give_each_reachable_quantized_row_a_kld_job);
	RUN(report_should_collect_kld_summaries_and_per_document_sums);
	if (check_remove_tree(dir) != 0)
		return 1;
	END_TESTS();
}
