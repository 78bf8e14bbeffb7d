/*
 * server_auth.h — who may talk to the server.
 *
 *   - The listening address: 127.0.0.1 unless told otherwise; any address
 *     that is not loopback needs a token (refused at start without one).
 *   - The token (--token-file): one line, at least 16 characters; the file
 *     must not be readable by group or others.  Requests carry it as
 *     "Authorization: Bearer TOKEN" (compared in constant time).
 *   - Without a token (loopback only), the Host header must name a
 *     loopback address or "localhost", so a web page elsewhere cannot
 *     reach the server by pointing a DNS name at 127.0.0.1.
 *   - CORS is off unless an origin is allowed: a request whose Origin is
 *     neither this server nor the allowed origin is refused, so other web
 *     pages cannot post to it from the user's browser.
 */
#ifndef VLM_SERVER_AUTH_H
#define VLM_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "model/core/vlm_error.h"

#define SERVER_DEFAULT_LISTEN "127.0.0.1:8765"
#define SERVER_TOKEN_MAX      256

typedef struct server_listen {
    struct sockaddr_storage addr;
    socklen_t len;
    bool ipv6;
    bool loopback;
    int port; /* 0 = any free port */
} server_listen;

/* "ADDR:PORT", "[V6]:PORT", "ADDR" (port 8765) or ":PORT" (127.0.0.1).
 * Numeric addresses only. */
int server_parse_listen(const char *text, server_listen *out, char *err);

/* Reads the token file (see above) into token[SERVER_TOKEN_MAX]. */
int server_read_token(const char *path, char *token, char *err);

/* True when header (may be NULL) is "Bearer <token>". */
bool server_bearer_ok(const char *header, const char *token);

/* True when host (the Host header, may be NULL) names a loopback address
 * or localhost, with or without a port. */
bool server_host_is_loopback(const char *host);

/* True when origin (may be NULL = no Origin header) is "scheme://host"
 * for this request's Host, or equals allowed (may be NULL). */
bool server_origin_ok(const char *origin, const char *host, bool tls,
                      const char *allowed);

#endif
