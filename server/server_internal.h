/*
 * server_internal.h — what the server's files share: the served
 * collections and their reader handles, one request, and the answers.
 */
#ifndef VLM_SERVER_INTERNAL_H
#define VLM_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "server/json_buf.h"
#include "server/query_cache.h"
#include "server/server.h"
#include "server/server_auth.h"
#include "server/model_worker.h"

/* ---- collections ---------------------------------------------------------- */

typedef struct served served;

/* One handle on a collection: a request holds it while it works. */
typedef struct reader {
    served *sv;
    session *s;
    int64_t seen_generation; /* served.generation at the last refresh */
    int64_t next_sync_ms;    /* look at SQLite again after this */
    float *qv, *tmp;         /* query vector scratch (dims) */
    json_buf out;            /* the answer being written */
    bool busy;
} reader;

typedef struct watch_status {
    bool enabled, ready;
    int roots, polled, offline;
    int64_t passes;
    indexer_summary last; /* the last pass */
    char last_time[32];   /* ISO 8601 UTC */
    char error[VLM_ERR_MAX];
} watch_status;

struct served {
    int index;
    char dir[SESSION_PATH_MAX];
    char name[256];    /* the folder's name */
    atomic_bool dicom; /* holds DICOM rows: paths never shown */
    reader *readers;
    int n_readers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_llong generation; /* bumped by the watch after each commit */
    /* the watch (serve --watch) */
    session *writer;
    pthread_t thread;
    bool thread_started;
    volatile sig_atomic_t cancel;
    watch_options wo;
    indexer_options io;
    watch_status ws; /* under mu */
    struct server *srv;
};

/* ---- the server ----------------------------------------------------------- */

struct server {
    server_config cfg; /* defaults filled in */
    session *model;    /* owns the model (first collection, no index) */
    served *colls;
    int n_colls;
    query_cache *cache;
    model_worker *worker; /* every model call of a request */
    struct MHD_Daemon *daemon;
    server_listen listen;
    char token[SERVER_TOKEN_MAX];
    bool has_token;
    char *tls_cert, *tls_key; /* PEM text */
    char url[160];
    atomic_int inflight;
    atomic_llong requests;
    pthread_mutex_t decode_mu; /* thumbnails/renders decoding at once */
    pthread_cond_t decode_cv;
    int decoding;
    int64_t started_ms;
};

void server_logf(server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int64_t server_now_ms(void);

int served_open(server *srv, served *sv, int index, const char *dir, char *err);
void served_close(served *sv);
int served_start_watch(served *sv, char *err);
void served_stop_watch(served *sv);
/* A free reader, refreshed; NULL when none frees up within timeout_ms. */
reader *served_acquire(served *sv, int timeout_ms);
void served_release(reader *r);
watch_status served_watch_status(served *sv);

/* ---- one request ---------------------------------------------------------- */

typedef struct request {
    server *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    char *body; /* the request body (NUL-terminated), or NULL */
    size_t len, cap, limit;
    int early_status; /* an answer decided before the body was read */
    const char *early_message;
    int64_t id; /* /api/images/{id}/... */
    const struct route *route;
} request;

/* A query-string parameter, or NULL. */
const char *req_arg(const request *r, const char *name);
/* An integer parameter in [lo, hi], else def; -1 with a 400 answer sent
 * when it is not a number. */
int req_int_arg(request *r, const char *name, int def, int lo, int hi,
                int *out);
/* The metadata filters of a search (query parameters or JSON strings):
 * after/before a date (query/filters.h), camera text, type as a comma list
 * of formats, min_size "WxH".  NULL or "" = not given. */
typedef struct req_filter_text {
    const char *after, *before, *camera, *type, *min_size;
} req_filter_text;

#define REQ_FILTER_MAX_TYPES 16
typedef struct req_filter {
    char after[20], before[20];
    const char *formats[REQ_FILTER_MAX_TYPES];
    int n_formats, min_w, min_h;
    bool any;
    collection_filter filter; /* points into this struct */
} req_filter;

/* Checks t into f: 0, or -1 after a 400 answer naming the bad value. */
int req_filter_parse(request *r, const req_filter_text *t, req_filter *f);
/* The filter for search_options.filter, or NULL when none was given. */
const collection_filter *req_filter_get(const req_filter *f);

/* A reader of sv for this request (served_acquire), or NULL after a 503
 * answer when none frees up in time. */
reader *req_reader(request *r, served *sv);
/* The collection the request names (?collection=N, default 0), or NULL
 * after a 404 answer. */
served *req_collection(request *r, int which);

/* Answers.  Each returns what the access handler must return. */
enum MHD_Result reply_json(request *r, int status, const json_buf *b);
enum MHD_Result reply_error(request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes ownership of bytes (freed after sending). */
enum MHD_Result reply_bytes(request *r, int status, const char *type,
                            void *bytes, size_t len, const char *cache);
/* Sends an open file (closed after sending). */
enum MHD_Result reply_file(request *r, const char *type, int fd, size_t size);
/* The status for a library error code (404 for VLM_ENOTFOUND...). */
int http_status_for(int vlm_rc);

/* ---- routes ---------------------------------------------------------------- */

typedef enum MHD_Result (*route_fn)(request *r);

typedef struct route {
    const char *method;
    const char *path; /* exact, or with "{id}" for one decimal id */
    route_fn fn;
    bool is_public;  /* no token needed (the page and its assets) */
    bool image_body; /* body limit max_body instead of max_json */
} route;

/* The route for method + url (id filled in), or NULL; *path_known tells
 * 405 from 404. */
const route *route_find(const char *method, const char *url, int64_t *id,
                        bool *path_known);

enum MHD_Result api_status(request *r);
enum MHD_Result api_search(request *r);
enum MHD_Result api_search_image(request *r);
enum MHD_Result api_classify(request *r);
enum MHD_Result api_worklist(request *r);
enum MHD_Result api_image(request *r);
enum MHD_Result api_thumb(request *r);
enum MHD_Result api_meta(request *r);
enum MHD_Result api_render(request *r);
enum MHD_Result web_asset(request *r);

/* Embedded web page files (web_assets.c, generated). */
typedef struct web_file {
    const char *path; /* "/", "/app.js", ... */
    const char *type;
    const unsigned char *data;
    size_t len;
    const char *etag;
} web_file;
const web_file *web_file_find(const char *path);

/* The vectors of a query's text terms, through the cache and the model
 * thread, made before a reader is taken (so waiting requests share the
 * model's passes).  q may be NULL (an upload alone). */
struct query;
typedef struct query_vectors {
    const struct query *q;
    float *v; /* n_terms x dims; rows of text terms filled */
    int dims;
} query_vectors;
int query_vectors_encode(server *srv, const struct query *q, query_vectors *qv,
                         char *err);
void query_vectors_free(query_vectors *qv);

/* The normalised query vector into rd->qv: qv's terms (id:N from the
 * reader's collection) plus upload (a vector) if not NULL. */
int reader_embed(reader *rd, const query_vectors *qv, const float *upload,
                 char *err);

/* The text encoder of search_embedder: the cache, then the model under
 * its lock (search.h). */
int server_encode_text(void *user, const char *text, float *out, char *err);

#endif
