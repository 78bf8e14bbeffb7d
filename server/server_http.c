/*
 * server_http.c — one HTTP request: admission (route, token, Host, Origin,
 * size limits) before the body is read, the body within its limit, the
 * handler, the answer with its security headers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server_internal.h"

#define READER_WAIT_MS 10000

/* ---- answers ------------------------------------------------------------------- */

static void add_headers(request *r, struct MHD_Response *resp, const char *type,
                        const char *cache)
{
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cache-Control", cache ? cache : "no-store");
    if (r->srv->cfg.cors_origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                                r->srv->cfg.cors_origin);
        MHD_add_response_header(resp, "Vary", "Origin");
    }
}

static enum MHD_Result queue(request *r, int status, struct MHD_Response *resp,
                             const char *type, const char *cache)
{
    if (!resp) return MHD_NO;
    add_headers(r, resp, type, cache);
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"vlmindex\"");
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

enum MHD_Result reply_bytes(request *r, int status, const char *type,
                            void *bytes, size_t len, const char *cache)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(bytes);
    return queue(r, status, resp, type, cache);
}

enum MHD_Result reply_json(request *r, int status, const json_buf *b)
{
    if (b->oom) return reply_error(r, 500, "out of memory");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_COPY);
    return queue(r, status, resp, "application/json; charset=utf-8", NULL);
}

enum MHD_Result reply_error(request *r, int status, const char *fmt, ...)
{
    char msg[VLM_ERR_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_buf b = {0};
    jb_reset(&b);
    jb_obj(&b);
    jb_kint(&b, "status", status);
    jb_kstr(&b, "error", msg);
    jb_end_obj(&b);
    enum MHD_Result ok = b.oom ? MHD_NO : reply_json(r, status, &b);
    jb_free(&b);
    return ok;
}

enum MHD_Result reply_file(request *r, const char *type, int fd, size_t size)
{
    struct MHD_Response *resp = MHD_create_response_from_fd(size, fd);
    if (!resp) close(fd);
    return queue(r, 200, resp, type, "private, max-age=300");
}

int http_status_for(int rc)
{
    switch (rc) {
    case VLM_OK: return 200;
    case VLM_ENOTFOUND: return 404;
    case VLM_EINVAL:
    case VLM_EFORMAT: return 400;
    case VLM_EUNSUPPORTED: return 415;
    case VLM_ETOOBIG: return 413;
    case VLM_EMISMATCH: return 409;
    default: return 500;
    }
}

/* ---- request helpers ------------------------------------------------------------ */

const char *req_arg(const request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int req_int_arg(request *r, const char *name, int def, int lo, int hi, int *out)
{
    const char *v = req_arg(r, name);
    *out = def;
    if (!v || !*v) return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end) {
        reply_error(r, 400, "parameter %s: '%s' is not a whole number", name,
                    v);
        return -1;
    }
    *out = x < lo ? lo : x > hi ? hi : (int)x;
    return 0;
}

served *req_collection(request *r, int which)
{
    if (which >= 0 && which < r->srv->n_colls) return &r->srv->colls[which];
    reply_error(r, 404, "no collection %d (this server has %d)", which,
                r->srv->n_colls);
    return NULL;
}

/* ---- admission -------------------------------------------------------------------- */

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Everything decided from the request line and headers alone. */
static int admit(request *r, const char **why)
{
    server *srv = r->srv;
    const char *host = header(r->conn, "Host");
    bool path_known = false;
    r->route = route_find(r->method, r->url, &r->id, &path_known);
    if (!srv->has_token && !server_host_is_loopback(host))
        return *why = "this server answers to loopback host names only", 403;
    if (!server_origin_ok(header(r->conn, "Origin"), host,
                          srv->tls_cert != NULL, srv->cfg.cors_origin))
        return *why = "cross-origin requests are not allowed", 403;
    if (!r->route)
        return *why = path_known ? "method not allowed" : "not found",
               path_known ? 405 : 404;
    if (!r->route->is_public && srv->has_token &&
        !server_bearer_ok(header(r->conn, "Authorization"), srv->token))
        return *why = "a token is required (Authorization: Bearer ...)", 401;
    r->limit = r->route->image_body ? srv->cfg.max_body : srv->cfg.max_json;
    const char *cl = header(r->conn, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > r->limit)
        return *why = "request body too large", 413;
    return 0;
}

static bool append_body(request *r, const char *data, size_t n)
{
    if (r->len + n > r->limit) return false;
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1) cap *= 2;
        if (cap > r->limit + 1) cap = r->limit + 1;
        char *grown = realloc(r->body, cap);
        if (!grown) return false;
        r->body = grown;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = 0;
    return true;
}

static enum MHD_Result run_handler(request *r)
{
    server *srv = r->srv;
    if (atomic_fetch_add(&srv->inflight, 1) >= srv->cfg.max_inflight) {
        atomic_fetch_sub(&srv->inflight, 1);
        return reply_error(r, 503, "busy: too many requests at once");
    }
    atomic_fetch_add(&srv->requests, 1);
    enum MHD_Result ok = r->route->fn(r);
    atomic_fetch_sub(&srv->inflight, 1);
    return ok;
}

enum MHD_Result server_access(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    request *r = *con_cls;
    if (!r) { /* headers are in: admit or refuse before any body */
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        *r = (request){.srv = cls, .conn = conn, .method = method, .url = url};
        *con_cls = r;
        r->early_status = admit(r, &r->early_message);
        if (r->early_status)
            return reply_error(r, r->early_status, "%s", r->early_message);
        return MHD_YES;
    }
    r->conn = conn;
    if (*upload_size) {
        /* Over the limit without a Content-Length (chunked): libmicrohttpd
         * cannot answer mid-body, so the rest is dropped and the 413 sent
         * at its end; a body past twice the limit closes the connection. */
        r->len += r->early_status ? *upload_size : 0;
        if (!r->early_status && !append_body(r, upload, *upload_size))
            r->early_status = 413;
        *upload_size = 0;
        return r->len > 2 * r->limit ? MHD_NO : MHD_YES;
    }
    if (r->early_status == 413 && !r->early_message)
        return reply_error(r, 413, "request body over %zu bytes", r->limit);
    if (r->early_status) return MHD_YES; /* answered already */
    return run_handler(r);
}

void server_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)conn;
    (void)why;
    request *r = *con_cls;
    if (!r) return;
    free(r->body);
    free(r);
    *con_cls = NULL;
}

reader *req_reader(request *r, served *sv)
{
    reader *rd = served_acquire(sv, READER_WAIT_MS);
    if (!rd) reply_error(r, 503, "busy: no free handle on %s", sv->name);
    return rd;
}
