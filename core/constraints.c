/*
 * constraints.c: pins and groups, the user's constraints on an allocation problem.
 *
 * A pin fixes the layers whose names match a POSIX extended regex to one format; a group
 * makes the layers of some kinds share one format within each decoder block. This file
 * parses both and applies them to a problem being set up (core/allocate.c calls
 * constraints_apply between pricing shapes and pricing bits). Errors name the pin, the
 * group and the layer. Never prints, never exits.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/constraints.h"
#include "core/strbuf.h"

// ---- parsing ----

int alloc_pin_parse(struct alloc_pin *pin, const char *text, struct bb_error *err)
{
	memset(pin, 0, sizeof *pin);
	const char *eq = strrchr(text, '=');
	if (!fmt_fits(pin->text, sizeof pin->text, "%s", text))
		return bb_fail(err, BB_EINVAL, "pin '%.60s...' is too long", text);
	if (!eq || eq == text || !eq[1])
		return bb_fail(err, BB_EINVAL, "pin '%s' is not REGEX=FORMAT", text);
	if (!fmt_fits(pin->regex, sizeof pin->regex, "%.*s", (int)(eq - text), text))
		return bb_fail(err, BB_EINVAL, "pin '%s': the regex is longer than %zu bytes", text,
			       sizeof pin->regex - 1);
	struct bb_error inner;
	if (format_parse(&pin->format, eq + 1, &inner))
		return bb_fail(err, BB_EINVAL, "pin '%s': %s", text, inner.msg);
	regex_t re;
	int rc = regcomp(&re, pin->regex, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];
		regerror(rc, &re, why, sizeof why);
		return bb_fail(err, BB_EINVAL, "pin '%s': bad regex '%s': %s", text, pin->regex, why);
	}
	regfree(&re);
	return 0;
}

static int kind_by_name(const char *name)
{
	for (int k = 0; k < LK_COUNT; k++)
		if (strcmp(layer_kind_name((enum layer_kind)k), name) == 0)
			return k;
	return -1;
}

int alloc_group_parse(struct alloc_group *g, const char *text, struct bb_error *err)
{
	memset(g, 0, sizeof *g);
	if (!fmt_fits(g->text, sizeof g->text, "%s", text))
		return bb_fail(err, BB_EINVAL, "group '%.60s...' is too long", text);
	char copy[sizeof g->text], *save = NULL;
	memcpy(copy, g->text, sizeof copy);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k = kind_by_name(tok);
		if (k < 0 || k == LK_LM_HEAD)
			return bb_fail(err, BB_EINVAL,
				       "group '%s': '%s' is not a layer kind (q_proj, k_proj, v_proj, "
				       "o_proj, gate_proj, up_proj, down_proj)", text, tok);
		for (int i = 0; i < g->n_kinds; i++)
			if (g->kinds[i] == (enum layer_kind)k)
				return bb_fail(err, BB_EINVAL, "group '%s' names '%s' twice", text, tok);
		g->kinds[g->n_kinds++] = (enum layer_kind)k;
	}
	if (g->n_kinds < 2)
		return bb_fail(err, BB_EINVAL, "group '%s' needs at least two layer kinds", text);
	return 0;
}

// ---- pins ----

/* Fix the layers the pins match. A layer matched by two pins of different formats, a pin
 * matching nothing, or a pin whose format the layer's shape cannot take is an error. */
static int apply_pins(struct alloc_layout *layout, const struct inventory *inv,
		      const struct alloc_pin *pins, int n_pins, struct bb_error *err)
{
	int rc = 0;
	for (int j = 0; j < n_pins && !rc; j++) {
		regex_t re;
		if (regcomp(&re, pins[j].regex, REG_EXTENDED | REG_NOSUB))
			return bb_fail(err, BB_EINVAL, "pin '%s': bad regex", pins[j].text);
		int matched = 0;
		for (int i = 0; i < inv->n && !rc; i++) {
			const struct layer *l = &inv->layers[i];
			if (regexec(&re, l->name, 0, NULL, 0) != 0)
				continue;
			matched++;
			int other = layout->pin[i];
			if (other >= 0 && strcmp(pins[other].format.name, pins[j].format.name) != 0)
				rc = bb_fail(err, BB_EINVAL,
					     "layer '%s' is matched by pin '%s' and pin '%s', which "
					     "disagree", l->name, pins[other].text, pins[j].text);
			else if (!format_fits_layer(&pins[j].format, l->out, l->in))
				rc = bb_fail(err, BB_EINVAL,
					     "pin '%s': layer '%s' [%lld, %lld] cannot take %s",
					     pins[j].text, l->name, (long long)l->out, (long long)l->in,
					     pins[j].format.name);
			else if (other < 0) {
				layout->pin[i] = j;
				layout->fixed[i] = true;
				layout->fixed_format[i] = pins[j].format;
			}
		}
		regfree(&re);
		if (!rc && !matched)
			rc = bb_fail(err, BB_EINVAL, "pin '%s' matches no layer of the budget set",
				     pins[j].text);
	}
	return rc;
}

// ---- groups and items ----

static int group_of_kind(const struct alloc_group *groups, int n_groups, enum layer_kind k)
{
	for (int g = 0; g < n_groups; g++)
		for (int i = 0; i < groups[g].n_kinds; i++)
			if (groups[g].kinds[i] == k)
				return g;
	return -1;
}

static int check_groups_disjoint(const struct alloc_group *groups, int n_groups,
				 struct bb_error *err)
{
	for (int g = 0; g < n_groups; g++)
		for (int i = 0; i < groups[g].n_kinds; i++) {
			int first = group_of_kind(groups, n_groups, groups[g].kinds[i]);
			if (first != g)
				return bb_fail(err, BB_EINVAL, "groups '%s' and '%s' both hold %s",
					       groups[first].text, groups[g].text,
					       layer_kind_name(groups[g].kinds[i]));
		}
	return 0;
}

/* item_of for every layer: a new item per free layer, except that free layers of one group
 * in one block share the item of the first of them. */
static int number_items(struct alloc_layout *layout, const struct inventory *inv,
			const struct alloc_group *groups, int n_groups)
{
	int max_block = 0;
	for (int i = 0; i < inv->n; i++)
		max_block = inv->layers[i].block > max_block ? inv->layers[i].block : max_block;
	size_t slots = (size_t)(n_groups ? n_groups : 1) * (size_t)(max_block + 1);
	int *seen = malloc(sizeof *seen * slots); /* [group][block] -> item */
	if (!seen)
		return BB_ENOMEM;
	for (size_t s = 0; s < slots; s++)
		seen[s] = -1;
	layout->n_items = 0;
	for (int i = 0; i < inv->n; i++) {
		const struct layer *l = &inv->layers[i];
		int g = group_of_kind(groups, n_groups, l->kind);
		int *slot = g >= 0 ? &seen[(size_t)g * (size_t)(max_block + 1) + (size_t)l->block]
				   : NULL;
		if (layout->fixed[i])
			layout->item_of[i] = -1;
		else if (slot && *slot >= 0)
			layout->item_of[i] = *slot;
		else
			layout->item_of[i] = layout->n_items++;
		if (slot && *slot < 0 && !layout->fixed[i])
			*slot = layout->item_of[i];
	}
	free(seen);
	return 0;
}

/* The item -> layers lists, by counting (layers stay in execution order in each item). */
static int list_items(struct alloc_layout *layout, const struct inventory *inv)
{
	layout->item_start = calloc((size_t)layout->n_items + 1, sizeof *layout->item_start);
	layout->item_layers = malloc(sizeof *layout->item_layers * ((size_t)inv->n + 1));
	int *fill = calloc((size_t)layout->n_items + 1, sizeof *fill);
	if (!layout->item_start || !layout->item_layers || !fill) {
		free(fill);
		return BB_ENOMEM;
	}
	for (int i = 0; i < inv->n; i++)
		if (layout->item_of[i] >= 0)
			layout->item_start[layout->item_of[i] + 1]++;
	for (int j = 0; j < layout->n_items; j++)
		layout->item_start[j + 1] += layout->item_start[j];
	for (int i = 0; i < inv->n; i++) {
		int j = layout->item_of[i];
		if (j >= 0)
			layout->item_layers[layout->item_start[j] + fill[j]++] = i;
	}
	free(fill);
	return 0;
}

int constraints_apply(struct alloc_layout *layout, const struct inventory *inv,
		      const struct alloc_pin *pins, int n_pins, const struct alloc_group *groups,
		      int n_groups, struct bb_error *err)
{
	int rc = apply_pins(layout, inv, pins, n_pins, err);
	if (!rc)
		rc = check_groups_disjoint(groups, n_groups, err);
	if (!rc && (number_items(layout, inv, groups, n_groups) || list_items(layout, inv)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	return rc;
}
