/*
 * server.h — `vlmindex serve`: one resident process that keeps the model
 * and the vector indexes warm and answers a JSON API and a web page over
 * HTTP (GNU libmicrohttpd; TLS through GnuTLS).  docs/api.md is the API.
 *
 *   server_config cfg = server_config_default();
 *   cfg.collections = dirs; cfg.n_collections = 1;
 *   server *s;
 *   if (server_start(&cfg, &s, err)) ...
 *   printf("%s\n", server_url(s));  ... until a signal ...
 *   server_stop(s);
 *
 * Threads: libmicrohttpd runs one thread per connection (bounded by
 * max_connections, idle ones dropped after timeout_s).  Each collection
 * has `readers` session handles (collection + vector index; one request
 * at a time each); a request waits for a free one.  Text and image
 * encoding share the one loaded model under session_model_lock(), and
 * recent text queries skip it through a cache of their vectors.
 *
 * Safe by default: see server_auth.h (loopback, token, Host/Origin),
 * plus size limits on bodies and queries, images addressed by id only
 * (never a path), DICOM rows shown without their paths (which may name
 * patients) and their files never sent raw (rendered pixels only).
 */
#ifndef VLM_SERVER_H
#define VLM_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "indexer/watch.h"
#include "session/session.h"

typedef struct server_config {
    const char *const *collections; /* folders; n = 0: the default one */
    int n_collections;
    session_config session;         /* model, threads, precision, offline... */
    const char *listen;             /* "ADDR:PORT"; NULL = 127.0.0.1:8765 */
    const char *token_file;         /* required for a non-loopback address */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS */
    const char *cors_origin;        /* an origin allowed cross-site; NULL */
    size_t max_body;                /* image uploads, bytes; 0 = 16 MiB */
    size_t max_json;                /* JSON bodies, bytes; 0 = 64 KiB */
    int max_query;                  /* characters of a query; 0 = 1000 */
    int max_connections;            /* 0 = 64 */
    int max_inflight;  /* requests working or waiting; beyond: 503; 0 = 32 */
    int timeout_s;     /* idle connections dropped; 0 = 30 */
    int readers;       /* handles per collection; 0 = 2 */
    int cache_entries; /* text query vectors kept; 0 = 4096, <0 = none */
    int thumb_size;    /* longest side of thumbnails, px; 0 = 256 */
    /* Watch every collection's roots (indexer/watch.h) with these. */
    bool watch;
    watch_options watch_opts;
    indexer_options index_opts; /* cancel and model_lock are set here */
    /* One line per event worth logging (start, watch passes, errors);
     * may be NULL.  Called from any thread. */
    void (*log)(void *user, const char *line);
    void *log_user;
} server_config;

server_config server_config_default(void);

typedef struct server server;

/* Opens the collections and the model, starts the watches and listens.
 * Fails (nothing left running) on a non-loopback address without a token,
 * an unreadable token/TLS file, a port in use, or a collection that does
 * not open. */
int server_start(const server_config *cfg, server **out, char *err);

/* "http://127.0.0.1:8765/" (the port actually bound). */
const char *server_url(const server *s);
int server_port(const server *s);

/* Stops listening, ends the watches (their committed work is kept) and
 * closes everything.  NULL-safe. */
void server_stop(server *s);

#endif
