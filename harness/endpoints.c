/*
 * endpoints.c: parse, check and probe a list of evaluation endpoints (endpoints.h).
 * Never prints; only endpoint_version and endpoint_list_version touch the network.
 */
#include "harness/endpoints.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "core/strbuf.h"
#include "core/version.h"

/* Why element e is not an endpoint, or NULL when it is one. */
static const char *element_problem(const char *e, char *why, size_t n)
{
	if (!*e)
		return "is empty (two commas in a row, or a comma at an end)";
	for (const char *p = e; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return "contains a space or a control character";
	if (!strcmp(e, "local"))
		return NULL;
	const char *host = !strncmp(e, "http://", 7) ? e + 7 : !strncmp(e, "https://", 8) ? e + 8 : NULL;
	if (!host)
		return "is not 'local' nor an http:// or https:// URL";
	size_t host_len = strcspn(host, ":/");
	if (host_len == 0)
		return "has no host";
	if (host[host_len] != ':')
		return NULL;
	const char *port = host + host_len + 1;
	char *end;
	long v = strtol(port, &end, 10);
	if (end == port || (*end && *end != '/') || v < 1 || v > 65535 || !isdigit((unsigned char)*port)) {
		const char *plain = "has a port that is not a number in 1-65535";
		return fmt_fits(why, n, "has a port '%.*s' that is not a number in 1-65535",
				(int)strcspn(port, "/"), port) ? why : plain;
	}
	return NULL;
}

int endpoint_list_parse(struct endpoint_list *l, const char *text, const char *source,
			struct bb_error *err)
{
	memset(l, 0, sizeof *l);
	if (!(l->storage = strdup(text)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	char why[128];
	bool local = false;
	for (char *at = l->storage;; at++) {
		char *comma = strchr(at, ',');
		if (comma)
			*comma = 0;
		const char *problem = element_problem(at, why, sizeof why);
		if (!problem && l->n == MAX_ENDPOINTS) {
			snprintf(why, sizeof why, "is one too many (at most %d)", MAX_ENDPOINTS);
			problem = why;
		}
		if (problem) {
			int rc = bb_fail(err, BB_EINVAL, "%s: element %d ('%.200s') %s", source,
					 l->n + 1, at, problem);
			endpoint_list_free(l);
			return rc;
		}
		local |= !strcmp(at, "local");
		l->url[l->n++] = at;
		if (!comma)
			break;
		at = comma;
	}
	if (local && l->n > 1) {
		endpoint_list_free(l);
		return bb_fail(err, BB_EINVAL, "%s: 'local' cannot be mixed with URLs: give 'local' "
			       "alone, or URLs of servers ('bitbudget serve' serves this machine)",
			       source);
	}
	return 0;
}

void endpoint_list_free(struct endpoint_list *l)
{
	free(l->storage);
	memset(l, 0, sizeof *l);
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	char *buf = ctx;
	size_t have = strlen(buf), add = size * n;
	if (have + add < 4096) {
		memcpy(buf + have, data, add);
		buf[have + add] = 0;
	}
	return add;
}

int endpoint_version(const char *endpoint, char *out, size_t n, struct bb_error *err)
{
	if (strcmp(endpoint, "local") == 0) { /* a constant of a few bytes: callers' buffers hold it */
		snprintf(out, n, "bitbudget-engine %s", BITBUDGET_VERSION);
		return 0;
	}
	/* body: a health answer is a few dozen bytes; collect keeps at most 4095 of them, and
	 * a longer one is refused below as not the protocol's JSON */
	char body[4096] = "";
	char *url = str_printf(err, "%s/v1/health", endpoint);
	if (!url)
		return BB_ENOMEM;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	free(url);
	cJSON *json = rc == CURLE_OK ? cJSON_Parse(body) : NULL;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(json, "name");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(json, "version");
	int status = 0;
	/* the version becomes part of every evaluation key: a cut one would be another key */
	if (cJSON_IsString(name) && cJSON_IsString(version) &&
	    (size_t)snprintf(out, n, "%s %s", name->valuestring, version->valuestring) >= n)
		status = bb_fail(err, BB_EFORMAT, "endpoint '%s': its name and version are longer "
				 "than %zu bytes", endpoint, n - 1);
	else if (!cJSON_IsString(name) || !cJSON_IsString(version))
		status = bb_fail(err, BB_EIO, "endpoint '%s' did not answer /v1/health: %s", endpoint,
				 rc == CURLE_OK ? "not the protocol's JSON" : curl_easy_strerror(rc));
	cJSON_Delete(json);
	return status;
}

int endpoint_list_version(const struct endpoint_list *l, char *out, size_t n,
			  struct bb_error *err)
{
	char other[256];
	for (int i = 0; i < l->n; i++) {
		int rc = endpoint_version(l->url[i], i ? other : out, i ? sizeof other : n, err);
		if (rc)
			return rc;
		if (i && strcmp(other, out))
			return bb_fail(err, BB_EINVAL, "endpoints disagree on their software: '%s' "
				       "reports '%s', '%s' reports '%s' (results are cached by it)",
				       l->url[0], out, l->url[i], other);
	}
	return 0;
}
