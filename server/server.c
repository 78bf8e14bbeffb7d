/*
 * server.c — starting and stopping: the model, the collections, the
 * watches and the HTTP daemon, in that order (and back).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/media_file.h"
#include "server/server_internal.h"

/* Texts encoded in one pass at most (the waiting requests' queries). */
#define TEXT_BATCH_MAX 16

server_config server_config_default(void)
{
    server_config c = {0};
    c.session = session_config_default();
    return c;
}

int64_t server_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void server_logf(server *srv, const char *fmt, ...)
{
    if (!srv->cfg.log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    srv->cfg.log(srv->cfg.log_user, line);
}

static void fill_defaults(server_config *c)
{
    if (!c->max_body) c->max_body = 16 << 20;
    if (!c->max_json) c->max_json = 64 << 10;
    if (c->max_query <= 0) c->max_query = 1000;
    if (c->max_connections <= 0) c->max_connections = 64;
    if (c->max_inflight <= 0) c->max_inflight = 32;
    if (c->timeout_s <= 0) c->timeout_s = 30;
    if (c->readers <= 0) c->readers = 2;
    if (!c->cache_entries) c->cache_entries = 4096;
    if (c->thumb_size <= 0) c->thumb_size = 256;
    if (c->thumb_size > 1024) c->thumb_size = 1024;
}

int server_encode_text(void *user, const char *text, float *out, char *err)
{
    server *srv = user;
    if (query_cache_get(srv->cache, text, out)) return VLM_OK;
    clip_model *m = session_model(srv->model);
    int rc = model_worker_text(srv->worker, text, out, err);
    if (rc) return rc;
    clip_l2_normalize(out, clip_embed_dim(m));
    query_cache_put(srv->cache, text, out);
    return VLM_OK;
}

/* ---- who may connect -------------------------------------------------------- */

static int read_pem(const char *path, char **out, char *err)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = media_read_file(path, 1 << 20, &b, &n, err);
    if (rc) return rc;
    char *s = realloc(b, n + 1);
    if (!s) {
        free(b);
        return VLM_ENOMEM;
    }
    s[n] = 0;
    *out = s;
    return VLM_OK;
}

static int check_access(server *srv, char *err)
{
    server_config *c = &srv->cfg;
    int rc = server_parse_listen(c->listen, &srv->listen, err);
    if (rc) return rc;
    if (!srv->listen.loopback && !c->token_file) {
        vlm_set_err(err,
                    "listening on %s needs --token-file (only loopback "
                    "addresses may go without a token)",
                    c->listen);
        return VLM_EINVAL;
    }
    if (c->token_file) rc = server_read_token(c->token_file, srv->token, err);
    srv->has_token = c->token_file != NULL;
    if (!rc && (!c->tls_cert != !c->tls_key)) {
        vlm_set_err(err, "TLS needs both --tls-cert and --tls-key");
        rc = VLM_EINVAL;
    }
    if (!rc && c->tls_cert) rc = read_pem(c->tls_cert, &srv->tls_cert, err);
    if (!rc && c->tls_key) rc = read_pem(c->tls_key, &srv->tls_key, err);
    if (!rc && c->tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        vlm_set_err(err, "this libmicrohttpd has no TLS support");
        rc = VLM_EUNSUPPORTED;
    }
    return rc;
}

/* ---- model and collections -------------------------------------------------- */

static int open_collections(server *srv, char *err)
{
    server_config *c = &srv->cfg;
    session_config mc = c->session;
    mc.collection = c->n_collections ? c->collections[0] : NULL;
    mc.access = c->watch ? SESSION_WRITE : SESSION_READ;
    mc.index = SESSION_NO_INDEX;
    mc.parts = CLIP_PART_ALL;
    int rc = session_open(&mc, &srv->model, err);
    if (rc) return rc;
    clip_model *m = session_model(srv->model);
    srv->cache = query_cache_create(c->cache_entries > 0 ? c->cache_entries : 0,
                                    clip_embed_dim(m));
    rc = model_worker_create(m, session_model_lock(srv->model), TEXT_BATCH_MAX,
                             &srv->worker, err);
    if (rc) return rc;
    srv->n_colls = c->n_collections ? c->n_collections : 1;
    srv->colls = calloc((size_t)srv->n_colls, sizeof *srv->colls);
    if (!srv->cache || !srv->colls) return VLM_ENOMEM;
    for (int i = 0; !rc && i < srv->n_colls; i++) {
        const char *dir = c->n_collections
                              ? c->collections[i]
                              : collection_dir(session_collection(srv->model));
        rc = served_open(srv, &srv->colls[i], i, dir, err);
    }
    for (int i = 0; !rc && c->watch && i < srv->n_colls; i++)
        rc = served_start_watch(&srv->colls[i], err);
    return rc;
}

/* ---- HTTP ---------------------------------------------------------------------- */

enum MHD_Result server_access(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls);
void server_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    server *srv = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    server_logf(srv, "http: %s", line);
}

static int start_daemon(server *srv, char *err)
{
    server_config *c = &srv->cfg;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG;
    if (srv->listen.ipv6) flags |= MHD_USE_IPv6;
    if (srv->tls_cert) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
        {MHD_OPTION_END, 0, NULL}};
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, server_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&srv->listen.addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)c->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)c->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        server_request_done, srv, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_ARRAY, srv->tls_cert ? tls : tls + 2, MHD_OPTION_END);
    if (!srv->daemon) {
        vlm_set_err(err,
                    "cannot listen on %s (in use? a bad TLS "
                    "certificate or key?)",
                    c->listen ? c->listen : SERVER_DEFAULT_LISTEN);
        return VLM_EIO;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->listen.port = info ? info->port : srv->listen.port;
    char host[64] = "127.0.0.1";
    const char *text = c->listen ? c->listen : SERVER_DEFAULT_LISTEN;
    size_t n = text[0] == '[' ? strcspn(text, "]") + 1 : strcspn(text, ":");
    if (n > 0 && n < sizeof host)
        snprintf(host, sizeof host, "%.*s", (int)n, text);
    snprintf(srv->url, sizeof srv->url, "%s://%s:%d/",
             srv->tls_cert ? "https" : "http", host, srv->listen.port);
    return VLM_OK;
}

int server_start(const server_config *cfg, server **out, char *err)
{
    *out = NULL;
    server *srv = calloc(1, sizeof *srv);
    if (!srv) return VLM_ENOMEM;
    srv->cfg = *cfg;
    fill_defaults(&srv->cfg);
    srv->started_ms = server_now_ms();
    pthread_mutex_init(&srv->decode_mu, NULL);
    pthread_cond_init(&srv->decode_cv, NULL);
    int rc = check_access(srv, err);
    if (!rc) rc = open_collections(srv, err);
    if (!rc) rc = start_daemon(srv, err);
    if (rc) {
        server_stop(srv);
        return rc;
    }
    server_logf(srv, "serving %d collection(s) at %s%s", srv->n_colls, srv->url,
                srv->has_token ? " (token required)" : "");
    *out = srv;
    return VLM_OK;
}

const char *server_url(const server *s) { return s->url; }

int server_port(const server *s) { return s->listen.port; }

void server_stop(server *s)
{
    if (!s) return;
    if (s->daemon) MHD_stop_daemon(s->daemon); /* waits for its threads */
    for (int i = 0; s->colls && i < s->n_colls; i++) served_close(&s->colls[i]);
    free(s->colls);
    query_cache_destroy(s->cache);
    model_worker_destroy(s->worker);
    session_close(s->model);
    free(s->tls_cert);
    free(s->tls_key);
    pthread_mutex_destroy(&s->decode_mu);
    pthread_cond_destroy(&s->decode_cv);
    memset(s->token, 0, sizeof s->token);
    free(s);
}
