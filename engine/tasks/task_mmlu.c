/*
 * task_mmlu.c: lm-eval's mmlu (lm_eval/tasks/mmlu/default/_default_template_yaml and its
 * 57 subject yamls): one task mmlu_<subject> per subject, in one of four category groups
 * (mmlu_stem, mmlu_other, mmlu_social_sciences, mmlu_humanities), all four in the group
 * "mmlu". Context = "The following are multiple choice questions (with answers) about
 * <subject with spaces>.\n\n" + question.strip() + "\nA. " c0 "\nB. " c1 "\nC. " c2
 * "\nD. " c3 "\nAnswer:"; choices "A".."D" (continuations " A".." D"); gold = answer.
 * Metric acc. limit applies to each subject. Never prints, never exits.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

/* The 57 subjects, sorted, each with its category group: the "tag" of its yaml
 * (mmlu_<category>_tasks), which _mmlu_<category>.yaml gathers into the group. */
const struct mmlu_subject mmlu_subjects[] = {
	{"abstract_algebra", "mmlu_stem"},
	{"anatomy", "mmlu_stem"},
	{"astronomy", "mmlu_stem"},
	{"business_ethics", "mmlu_other"},
	{"clinical_knowledge", "mmlu_other"},
	{"college_biology", "mmlu_stem"},
	{"college_chemistry", "mmlu_stem"},
	{"college_computer_science", "mmlu_stem"},
	{"college_mathematics", "mmlu_stem"},
	{"college_medicine", "mmlu_other"},
	{"college_physics", "mmlu_stem"},
	{"computer_security", "mmlu_stem"},
	{"conceptual_physics", "mmlu_stem"},
	{"econometrics", "mmlu_social_sciences"},
	{"electrical_engineering", "mmlu_stem"},
	{"elementary_mathematics", "mmlu_stem"},
	{"formal_logic", "mmlu_humanities"},
	{"global_facts", "mmlu_other"},
	{"high_school_biology", "mmlu_stem"},
	{"high_school_chemistry", "mmlu_stem"},
	{"high_school_computer_science", "mmlu_stem"},
	{"high_school_european_history", "mmlu_humanities"},
	{"high_school_geography", "mmlu_social_sciences"},
	{"high_school_government_and_politics", "mmlu_social_sciences"},
	{"high_school_macroeconomics", "mmlu_social_sciences"},
	{"high_school_mathematics", "mmlu_stem"},
	{"high_school_microeconomics", "mmlu_social_sciences"},
	{"high_school_physics", "mmlu_stem"},
	{"high_school_psychology", "mmlu_social_sciences"},
	{"high_school_statistics", "mmlu_stem"},
	{"high_school_us_history", "mmlu_humanities"},
	{"high_school_world_history", "mmlu_humanities"},
	{"human_aging", "mmlu_other"},
	{"human_sexuality", "mmlu_social_sciences"},
	{"international_law", "mmlu_humanities"},
	{"jurisprudence", "mmlu_humanities"},
	{"logical_fallacies", "mmlu_humanities"},
	{"machine_learning", "mmlu_stem"},
	{"management", "mmlu_other"},
	{"marketing", "mmlu_other"},
	{"medical_genetics", "mmlu_other"},
	{"miscellaneous", "mmlu_other"},
	{"moral_disputes", "mmlu_humanities"},
	{"moral_scenarios", "mmlu_humanities"},
	{"nutrition", "mmlu_other"},
	{"philosophy", "mmlu_humanities"},
	{"prehistory", "mmlu_humanities"},
	{"professional_accounting", "mmlu_other"},
	{"professional_law", "mmlu_humanities"},
	{"professional_medicine", "mmlu_other"},
	{"professional_psychology", "mmlu_social_sciences"},
	{"public_relations", "mmlu_social_sciences"},
	{"security_studies", "mmlu_social_sciences"},
	{"sociology", "mmlu_social_sciences"},
	{"us_foreign_policy", "mmlu_social_sciences"},
	{"virology", "mmlu_other"},
	{"world_religions", "mmlu_humanities"},
};
const int mmlu_n_subjects = (int)(sizeof mmlu_subjects / sizeof mmlu_subjects[0]);

static const char *const LETTERS[4] = {"A", "B", "C", "D"};

// ---- one document ----

/* The four choices: an array of exactly four strings. */
static const cJSON *row_choices(const cJSON *row, struct bb_error *err)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "choices"), *x;
	int strings = 0;
	cJSON_ArrayForEach(x, c) strings += cJSON_IsString(x);
	if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 4 || strings != 4) {
		bb_fail(err, BB_EFORMAT, "field 'choices' is missing or not an array of 4 strings");
		return NULL;
	}
	return c;
}

static char *mmlu_context(const char *description, const char *question, const cJSON *choices)
{
	size_t end = py_rstrip_len(question, strlen(question)), start = py_lstrip_off(question, end);
	struct strbuf b = {0};
	const cJSON *c;
	int i = 0;
	strbuf_adds(&b, description);
	strbuf_add(&b, question + start, end - start);
	cJSON_ArrayForEach(c, choices) {
		strbuf_adds(&b, "\n");
		strbuf_adds(&b, LETTERS[i++]);
		strbuf_adds(&b, ". ");
		strbuf_adds(&b, c->valuestring);
	}
	strbuf_adds(&b, "\nAnswer:");
	return strbuf_take(&b);
}

int mmlu_add_doc(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *question = row_string(row, "question", err);
	const cJSON *choices = NULL;
	int gold, rc;
	if (!question || !(choices = row_choices(row, err)))
		return BB_EFORMAT;
	if ((rc = row_int(row, "answer", 0, 3, false, &gold, err)))
		return rc;
	char *context = mmlu_context(t->config.description ? t->config.description : "",
				     question, choices);
	rc = context ? task_begin_doc(t, gold, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < 4 && !rc; i++)
		rc = task_add_choice(t, context, " ", LETTERS[i], err);
	free(context);
	return rc;
}

// ---- the 57 subject tasks ----

/* "The following are multiple choice questions (with answers) about abstract algebra.\n\n" */
static char *description_of(const char *subject)
{
	struct strbuf b = {0};
	strbuf_adds(&b, "The following are multiple choice questions (with answers) about ");
	for (const char *s = subject; *s; s++)
		strbuf_add(&b, *s == '_' ? " " : s, 1);
	strbuf_adds(&b, ".\n\n");
	return strbuf_take(&b);
}

static int add_subject_task(struct task_list *tl, const struct mmlu_subject *s,
			    struct bb_error *err)
{
	const char *subject = s->name;
	char name[128]; /* the subjects and categories are the table's above, all short */
	snprintf(name, sizeof name, "mmlu_%s", subject);
	struct task_spec spec = {
		.name = name,
		.output = TASK_MULTIPLE_CHOICE,
		.n_metrics = 1,
		.metrics = {METRIC_ACC},
		.dataset_path = "cais/mmlu",
		.dataset_name = subject,
		.split_key = "test_split",
		.split = "test",
		.doc_to_text = "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\n"
			       "C. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:",
		.doc_to_target = "answer",
		.doc_to_choice = "[\"A\", \"B\", \"C\", \"D\"]",
	};
	struct task *t;
	int rc = task_new(tl, &spec, &t, err);
	if (rc)
		return rc;
	snprintf(t->alias, sizeof t->alias, "%s", subject);
	snprintf(t->group, sizeof t->group, "mmlu");
	snprintf(t->subgroup, sizeof t->subgroup, "%s", s->category);
	t->config.description = description_of(subject);
	return t->config.description ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

struct mmlu_rows {
	struct task *subjects; /* the 57 tasks, in mmlu_subjects order */
	int limit;
};

static int cmp_subject(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mmlu_subject *)elem)->name);
}

static int mmlu_row(void *ctx, const cJSON *row, struct bb_error *err)
{
	struct mmlu_rows *r = ctx;
	const char *subject = row_string(row, "subject", err);
	if (!subject)
		return BB_EFORMAT;
	const struct mmlu_subject *hit = bsearch(subject, mmlu_subjects, (size_t)mmlu_n_subjects,
						 sizeof *mmlu_subjects, cmp_subject);
	if (!hit)
		return bb_fail(err, BB_EFORMAT, "field 'subject' is '%.64s', not an mmlu subject",
			       subject);
	struct task *t = &r->subjects[hit - mmlu_subjects];
	int rc = mmlu_add_doc(t, row, err);
	if (!rc)
		rc = task_keep_row(t, row, err);
	t->n_original += !rc;
	if (!rc && r->limit && t->n_docs > r->limit)
		task_pop_doc(t);
	return rc;
}

int mmlu_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err)
{
	char *path = path_join(data_dir, "mmlu.test.jsonl");
	int first = tl->n, rc = path ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < mmlu_n_subjects && !rc; i++)
		rc = add_subject_task(tl, &mmlu_subjects[i], err);
	struct mmlu_rows rows = {tl->tasks + first, limit};
	if (!rc)
		rc = task_read_jsonl(path, mmlu_row, &rows, NULL, err);
	for (int i = 0; i < mmlu_n_subjects && !rc; i++)
		if (rows.subjects[i].n_original == 0)
			rc = bb_fail(err, BB_EFORMAT, "'%s': no rows for mmlu subject '%s'", path,
				     mmlu_subjects[i].name);
	free(path);
	return rc;
}
