/*
 * query_fetch.h — image terms given as URLs (http://, https://, file://),
 * as rclip takes them: the bytes are fetched with libcurl, bounded in size
 * and time, and decoded like any other untrusted image.
 *
 * Only http, https and file are spoken; redirects are followed (at most 5)
 * to http and https only; a body over QUERY_FETCH_MAX_BYTES is refused
 * (checked on the announced length and while receiving).
 */
#ifndef VLM_QUERY_FETCH_H
#define VLM_QUERY_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

#define QUERY_FETCH_MAX_BYTES ((int64_t)64 << 20) /* 64 MiB */
#define QUERY_FETCH_TIMEOUT_S 60L

/* 1 when s starts with http://, https:// or file:// (any case). */
int query_is_url(const char *s);

/* The bytes at url into *buf (malloc'ed).  VLM_ETOOBIG over the limit,
 * VLM_ENOTFOUND for a 404 or a missing file, VLM_ENETWORK otherwise; err
 * names the URL and the reason. */
int query_fetch_url(const char *url, uint8_t **buf, size_t *len, char *err);

/* The local path of a file:// URL (percent-decoded, malloc'ed), or NULL
 * for any other URL. */
char *query_file_url_path(const char *url);

#endif
