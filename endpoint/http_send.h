/*
 * http_send.h: queueing an answer on a libmicrohttpd connection: a JSON body as one line,
 * its content type, and the headers some statuses carry (Allow with 405, Retry-After
 * with 503, WWW-Authenticate with 401).
 *
 * Shared by the transport (server.c: refusals before a request is routed) and the router
 * (router.c: every routed answer), below both, so that neither calls back into the
 * other. The handlers never see a connection: they return a status and a JSON body.
 * Never prints, never exits.
 */
#ifndef BB_HTTP_SEND_H
#define BB_HTTP_SEND_H

#include <stdbool.h>

#include <cJSON.h>
#include <microhttpd.h>

/* Queue text (malloc'd, handed over) as the answer; allow, when not NULL, is the Allow
 * header. close also closes the connection: after a refusal of the request's framing,
 * what follows on it cannot be trusted to be the next request. */
enum MHD_Result http_queue_text(struct MHD_Connection *conn, int status, char *text,
				const char *allow, bool close);

/* The same, keeping the connection open. */
enum MHD_Result http_send_text(struct MHD_Connection *conn, int status, char *text,
			       const char *allow);

/* json (deleted here) as one line with a trailing newline, malloc'd; NULL when out of
 * memory. */
char *http_json_line(cJSON *json);

/* Queue json (deleted here) as the answer. */
enum MHD_Result http_send_json(struct MHD_Connection *conn, int status, cJSON *json,
			       const char *allow);

/* 405, naming the methods allowed on url. */
enum MHD_Result http_wrong_method(struct MHD_Connection *conn, const char *method,
				  const char *url, const char *allow);

#endif
