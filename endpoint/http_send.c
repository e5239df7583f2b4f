/*
 * http_send.c: queueing JSON answers on libmicrohttpd connections (http_send.h).
 * Never prints, never exits.
 */
#include "endpoint/http_send.h"

#include <stdlib.h>
#include <string.h>

#include "endpoint/http_error.h"

enum MHD_Result http_queue_text(struct MHD_Connection *conn, int status, char *text,
				const char *allow, bool close)
{
	if (!text)
		return MHD_NO;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_send_text(struct MHD_Connection *conn, int status, char *text,
			       const char *allow)
{
	return http_queue_text(conn, status, text, allow, false);
}

char *http_json_line(cJSON *json)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	return line;
}

enum MHD_Result http_send_json(struct MHD_Connection *conn, int status, cJSON *json,
			       const char *allow)
{
	return http_send_text(conn, status, http_json_line(json), allow);
}

enum MHD_Result http_wrong_method(struct MHD_Connection *conn, const char *method,
				  const char *url, const char *allow)
{
	return http_send_json(conn, 405, http_error("%s is not allowed on %s (allowed: %s)",
						    method, url, allow), allow);
}
