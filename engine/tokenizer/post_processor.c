/*
 * post_processor.c: the post-processor stage: the ids put before and after the text
 * (TemplateProcessing, Bert/RobertaProcessing), parsed from tokenizer.json, settled with
 * tokenizer_config.json's add_bos_token/add_eos_token, and put around an encoding.
 *
 * Applying must never write to the tokenizer. Never prints, never exits.
 */
#include "engine/tokenizer/stages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

// ---- parsing ----

static int ids_push(struct tk_ctx *c, struct tk_ids *v, int id)
{
	int *p = realloc(v->p, ((size_t)v->n + 1) * sizeof *p);
	if (!p)
		return tk_load_oom(c);
	p[v->n++] = id;
	v->p = p;
	return 0;
}

static int ids_concat(struct tk_ctx *c, struct tk_ids *dst, const struct tk_ids *src)
{
	int k, rc = 0;
	for (k = 0; k < src->n && !rc; k++)
		rc = ids_push(c, dst, src->p[k]);
	return rc;
}

/* The ids of one SpecialToken in a template, from the template's special_tokens map. */
static int template_special(struct tk_ctx *c, const cJSON *o, const cJSON *item, const char *where,
			    struct tk_ids *v)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "id");
	const cJSON *specials = cJSON_GetObjectItemCaseSensitive(o, "special_tokens");
	const cJSON *sp, *ids, *e;
	int rc = 0;
	if (!cJSON_IsString(name))
		return tk_fail_field(c, where, "has a SpecialToken without a string id");
	sp = cJSON_GetObjectItemCaseSensitive(specials, name->valuestring);
	ids = cJSON_GetObjectItemCaseSensitive(sp, "ids");
	char *w = str_printf(c->err, "%s.special_tokens['%s'].ids", where, name->valuestring);
	if (!w)
		return BB_ENOMEM;
	if (!cJSON_IsArray(ids))
		rc = tk_fail_field(c, w, "is missing");
	else
		cJSON_ArrayForEach(e, ids) {
		int id = tk_as_id(e);
		rc = id < 0 ? tk_fail_field(c, w, "holds an invalid id") : ids_push(c, v, id);
		if (rc)
			break;
	}
	free(w);
	return rc;
}

static int parse_template(struct tk_ctx *c, const cJSON *o, const char *where, struct tk_ids *pre,
			  struct tk_ids *post)
{
	const cJSON *single = cJSON_GetObjectItemCaseSensitive(o, "single"), *item;
	int seen_a = 0, rc;
	if (!cJSON_IsArray(single))
		return tk_fail_key(c, where, "single", "is not a list of pieces");
	cJSON_ArrayForEach(item, single) {
		const cJSON *sp = cJSON_GetObjectItemCaseSensitive(item, "SpecialToken");
		if (cJSON_GetObjectItemCaseSensitive(item, "Sequence")) {
			seen_a = 1;
			continue;
		}
		if (!sp)
			return tk_fail_key(c, where, "single",
					   "holds neither a SpecialToken nor a Sequence");
		if ((rc = template_special(c, o, sp, where, seen_a ? post : pre)))
			return rc;
	}
	return 0;
}

/* [content, id] as Bert/RobertaProcessing store cls and sep. */
static int pair_id(struct tk_ctx *c, const cJSON *o, const char *key, const char *where,
		   struct tk_ids *v)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, key);
	int id = tk_as_id(cJSON_GetArrayItem(p, 1));
	if (!cJSON_IsArray(p) || id < 0)
		return tk_fail_key(c, where, key, "is not a [token, id] pair");
	return ids_push(c, v, id);
}

/* One post-processor step. */
static int parse_post_one(struct tk_ctx *c, const cJSON *o, const char *type, const char *where,
			  struct tk_ids *pre, struct tk_ids *post)
{
	int rc;
	if (type && !strcmp(type, "ByteLevel"))
		return 0; /* only adjusts offsets */
	if (type && !strcmp(type, "TemplateProcessing"))
		return parse_template(c, o, where, pre, post);
	if (type && (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing"))) {
		if ((rc = pair_id(c, o, "cls", where, pre)))
			return rc;
		return pair_id(c, o, "sep", where, post);
	}
	return tk_unsupported(c, where, type);
}

/* The ids around the text so far; each step wraps what the earlier ones produced. */
struct wrapping {
	struct tk_ids *pre, *post;
};

static int parse_post_step(struct tk_ctx *c, const cJSON *o, const char *type,
			   const char *where, void *arg)
{
	struct wrapping *wr = arg;
	struct tk_ids p2 = {0}, s2 = {0};
	int rc = parse_post_one(c, o, type, where, &p2, &s2);
	if (!rc)
		rc = ids_concat(c, &p2, wr->pre);
	if (!rc)
		rc = ids_concat(c, wr->post, &s2);
	free(s2.p);
	free(wr->pre->p);
	*wr->pre = p2;
	return rc;
}

int tk_parse_post_processor(struct tk_ctx *c, const cJSON *o, struct tk_ids *pre,
			    struct tk_ids *post)
{
	struct wrapping wr = {pre, post};
	return tk_parse_steps(c, o, "post_processor", "processors", parse_post_step, &wr);
}

// ---- tokenizer_config.json and the BOS/EOS decision ----

#define ABSENT 2 /* get_bool default: the key is not in the file */

/* bos_token/eos_token/pad_token: "text", {"content": "text"} or null; *id -2 when not
 * given. A value of another type or a name outside the vocabulary fails unless optional
 * (then *id is -2): the pad token is only reported (/tokenizer_info), so it must not stop
 * a model from loading. */
static int config_token_ex(struct tk_ctx *c, const cJSON *cfg, const char *key, bool optional,
			   int *id)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
	const char *name;
	*id = -2;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsObject(v))
		v = cJSON_GetObjectItemCaseSensitive(v, "content");
	if (!cJSON_IsString(v))
		return optional ? 0
				: tk_fail_field(c, key, "is not a string or {\"content\": ...}");
	name = v->valuestring;
	*id = tk_strmap_get(&c->t->added_map, name, strlen(name));
	if (*id < 0)
		*id = tk_strmap_get(&c->t->vocab, name, strlen(name));
	if (*id < 0 && optional)
		*id = -2;
	else if (*id < 0)
		return bb_fail(c->err, BB_EFORMAT, "'%s': %s '%.200s' is not in the vocabulary",
			       c->path, key, name);
	return 0;
}

static int config_token(struct tk_ctx *c, const cJSON *cfg, const char *key, int *id)
{
	return config_token_ex(c, cfg, key, false, id);
}

static int check_ids(struct tk_ctx *c, const struct tk_ids *v, const char *what)
{
	int k;
	for (k = 0; k < v->n; k++)
		if (v->p[k] >= c->t->n_ids || !c->t->piece[v->p[k]])
			return bb_fail(c->err, BB_EFORMAT,
				       "'%s': %s id %d is not in the vocabulary", c->path, what,
				       v->p[k]);
	return 0;
}

/*
 * tokenizer_config.json's add_bos_token/add_eos_token, when present, decide (as
 * transformers' Llama fast tokenizer rebuilds its template from them); otherwise the
 * post-processor's template does.
 */
int tk_settle_specials(struct tk_ctx *c, const struct tk_config_source *src, struct tk_ids *pre,
		       struct tk_ids *post)
{
	struct tokenizer *t = c->t;
	struct bb_error *err = c->err;
	const char *config_path = src->name;
	cJSON *cfg = NULL;
	int rc = 0, bos = -2, eos = -2, pad = -2, add_bos = ABSENT, add_eos = ABSENT;
	FILE *f = src->from_file ? fopen(config_path, "rb") : NULL;
	if (src->from_file && !f && errno != ENOENT)
		return bb_fail(err, BB_EIO, "'%s': cannot open: %s", config_path, strerror(errno));
	if ((rc = check_ids(c, pre, "post_processor")) ||
	    (rc = check_ids(c, post, "post_processor")))
		return rc;
	if (f || src->text) {
		struct tk_ctx cc = {t, config_path, err};
		if (f)
			fclose(f);
		if ((rc = f ? tk_parse_json(config_path, &cfg, err)
			    : tk_parse_json_text(config_path, src->text, src->len, &cfg, err)))
			return rc;
		if ((rc = config_token(&cc, cfg, "bos_token", &bos)) ||
		    (rc = config_token(&cc, cfg, "eos_token", &eos)) ||
		    (rc = config_token_ex(&cc, cfg, "pad_token", true, &pad)) ||
		    (add_bos = tk_get_bool(&cc, cfg, "add_bos_token", ABSENT, "config")) < 0 ||
		    (add_eos = tk_get_bool(&cc, cfg, "add_eos_token", ABSENT, "config")) < 0) {
			cJSON_Delete(cfg);
			return rc ? rc : BB_EFORMAT;
		}
		cJSON_Delete(cfg);
	}
	t->bos_id = bos >= 0 ? bos : pre->n ? pre->p[0] : -1;
	t->eos_id = eos >= 0 ? eos : -1;
	t->pad_id = pad >= 0 ? pad : -1;
	if ((add_bos == 1 && t->bos_id < 0) || (add_eos == 1 && t->eos_id < 0))
		return bb_fail(err, BB_EFORMAT,
			       "'%s': add_%s_token is true but there is no %s_token", config_path,
			       add_bos == 1 && t->bos_id < 0 ? "bos" : "eos",
			       add_bos == 1 && t->bos_id < 0 ? "bos" : "eos");
	if (add_bos != ABSENT) {
		pre->n = 0;
		if (add_bos && (rc = ids_push(c, pre, t->bos_id)))
			return rc;
	}
	if (add_eos != ABSENT) {
		post->n = 0;
		if (add_eos && (rc = ids_push(c, post, t->eos_id)))
			return rc;
	}
	t->prefix = pre->p;
	t->n_prefix = pre->n;
	t->suffix = post->p;
	t->n_suffix = post->n;
	pre->p = post->p = NULL;
	return 0;
}

// ---- applying ----

/* BOS (when forced) and the template's leading ids. */
int tk_encode_prefix(struct tk_scratch *sc, int add_bos)
{
	const struct tokenizer *t = sc->t;
	if (!add_bos)
		return 0;
	if (add_bos == 1 && !tokenizer_adds_bos(t)) {
		if (t->bos_id < 0)
			return bb_fail(sc->err, BB_EINVAL,
				       "tokenizer: add_bos is 1 but there is no bos token");
		if (tk_ivec_push(&sc->out, t->bos_id))
			return tk_encode_oom(sc);
	}
	return tk_ivec_append(&sc->out, t->prefix, (size_t)t->n_prefix) ? tk_encode_oom(sc) : 0;
}
