/*
 * hub_fetch.c — one resumable, verified download with libcurl.
 *
 * The .part file is opened lazily on the first body byte of a 200/206
 * response, so error pages and 404s never create or damage it.  A 200 reply
 * to a Range request means the server ignored the range: start over.
 */
#include "model/weights/hub_fetch.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/weights/sha256_file.h"

typedef struct fetch_state {
    const hub_fetch_req *req;
    FILE *fp;
    uint64_t offset; /* bytes already in the .part when the reply began */
    long status;     /* status of the latest response */
    int64_t content_length; /* of the latest response, -1 unknown */
    int64_t range_total;    /* "Content-Range: bytes a-b/T", -1 unknown */
    int64_t linked_size;    /* X-Linked-Size (hub, LFS), -1 unknown */
    char etag[96], linked_etag[96];
    int io_failed;
    int got_body; /* the .part was opened for this reply */
} fetch_state;

/* ---- response headers ------------------------------------------------- */

static int header_is(const char *line, size_t n, const char *name,
                     const char **val)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return 0;
    *val = line + k + 1;
    while (**val == ' ' || **val == '\t') (*val)++;
    return 1;
}

/* Copies a header value without CR/LF, quotes or a weak "W/" prefix. */
static void copy_tag(char *dst, size_t cap, const char *v)
{
    if (strncmp(v, "W/", 2) == 0) v += 2;
    size_t k = 0;
    for (; *v && *v != '\r' && *v != '\n' && k + 1 < cap; v++)
        if (*v != '"') dst[k++] = *v;
    dst[k] = 0;
}

static void new_response(fetch_state *s, const char *line)
{
    s->status = 0;
    sscanf(line, "HTTP/%*s %ld", &s->status);
    s->content_length = s->range_total = -1;
    s->etag[0] = 0;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *user)
{
    fetch_state *s = user;
    size_t n = size * nitems;
    const char *v;
    if (n > 5 && strncmp(line, "HTTP/", 5) == 0)
        new_response(s, line);
    else if (header_is(line, n, "content-length", &v))
        s->content_length = strtoll(v, NULL, 10);
    else if (header_is(line, n, "content-range", &v)) {
        const char *slash = memchr(v, '/', n - (size_t)(v - line));
        if (slash && isdigit((unsigned char)slash[1]))
            s->range_total = strtoll(slash + 1, NULL, 10);
    } else if (header_is(line, n, "x-linked-size", &v))
        s->linked_size = strtoll(v, NULL, 10);
    else if (header_is(line, n, "x-linked-etag", &v))
        copy_tag(s->linked_etag, sizeof s->linked_etag, v);
    else if (header_is(line, n, "etag", &v))
        copy_tag(s->etag, sizeof s->etag, v);
    return n;
}

/* ---- body and progress ------------------------------------------------ */

static int open_part(fetch_state *s)
{
    if (s->status == 200 && s->offset > 0)
        s->offset = 0; /* range ignored: the body is the whole file */
    if (hub_make_parent_dirs(s->req->part_path, NULL) != VLM_OK) return -1;
    s->fp = fopen(s->req->part_path, s->offset ? "ab" : "wb");
    s->got_body = s->fp != NULL;
    return s->fp ? 0 : -1;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    fetch_state *s = user;
    size_t n = size * nmemb;
    if (s->status != 200 && s->status != 206)
        return n; /* an error page: not ours to keep */
    if (!s->fp && open_part(s) != 0) {
        s->io_failed = 1;
        return 0;
    }
    if (fwrite(ptr, 1, n, s->fp) != n) {
        s->io_failed = 1;
        return 0;
    }
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)ultotal, (void)ulnow;
    fetch_state *s = user;
    const hub_options *o = s->req->opt;
    if (!o || !o->progress) return 0;
    uint64_t total = s->linked_size > 0 ? (uint64_t)s->linked_size
                     : dltotal > 0      ? s->offset + (uint64_t)dltotal
                                        : 0;
    return o->progress(o->progress_user, s->offset + (uint64_t)dlnow, total,
                       s->req->name);
}

/* ---- the request ------------------------------------------------------- */

static void setup_request(CURL *curl, fetch_state *s, char *range, char *errbuf)
{
    const hub_fetch_req *r = s->req;
    const hub_options *o = r->opt;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, r->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vlmindex/0.1");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                     o && o->connect_timeout_s > 0 ? o->connect_timeout_s
                                                   : 30L);
    /* a stalled connection (under 1 byte/s for this long) is abandoned */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     o && o->stall_timeout_s > 0 ? o->stall_timeout_s : 60L);
    if (r->token && *r->token) {
        /* curl drops bearer auth when redirected to another host (the CDN) */
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, r->token);
    }
    if (s->offset > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

static uint64_t part_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size
                                                       : 0;
}

static int close_part(fetch_state *s)
{
    if (!s->fp) return 0;
    int bad = fflush(s->fp) != 0 || fsync(fileno(s->fp)) != 0;
    bad |= fclose(s->fp) != 0;
    s->fp = NULL;
    return bad;
}

static int transfer_error(const fetch_state *s, CURLcode cc, const char *errbuf,
                          char *err)
{
    const hub_fetch_req *r = s->req;
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        vlm_set_err(err,
                    "%s: download cancelled (partial data kept for resuming)",
                    r->name);
        return VLM_EINTERRUPTED;
    }
    if (s->io_failed) {
        vlm_set_err(err, "%s: cannot write %s: %s", r->name, r->part_path,
                    strerror(errno));
        return VLM_EIO;
    }
    vlm_set_err(err, "%s: download from %s failed: %s (rerun to resume)",
                r->name, r->url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return VLM_ENETWORK;
}

static int http_error(const fetch_state *s, char *err)
{
    const hub_fetch_req *r = s->req;
    if (s->status == 404) {
        vlm_set_err(err, "%s: not found (HTTP 404) at %s", r->name, r->url);
        return VLM_ENOTFOUND;
    }
    if (s->status == 401 || s->status == 403) {
        vlm_set_err(
            err,
            "%s: access denied (HTTP %ld) at %s; the repository may be gated "
            "or private: set HF_TOKEN",
            r->name, s->status, r->url);
        return VLM_ENETWORK;
    }
    vlm_set_err(err, "%s: HTTP %ld from %s", r->name, s->status, r->url);
    return VLM_ENETWORK;
}

/* The size the server promised for the whole file, or -1. */
static int64_t announced_size(const fetch_state *s)
{
    if (s->linked_size >= 0) return s->linked_size;
    if (s->range_total >= 0) return s->range_total;
    if (s->status == 200 && s->content_length >= 0) return s->content_length;
    return -1;
}

static int is_sha256_hex(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++)
        if (!isxdigit((unsigned char)t[n])) return 0;
    return n == VLM_SHA256_HEX_LEN;
}

/* Size and (when announced) SHA-256; a bad .part is deleted. */
static int verify_part(const fetch_state *s, char *err)
{
    const hub_fetch_req *r = s->req;
    int64_t want = announced_size(s);
    uint64_t got = part_size(r->part_path);
    if (want >= 0 && got != (uint64_t)want) {
        unlink(r->part_path);
        vlm_set_err(err,
                    "%s: downloaded %llu bytes but the server announced %lld; "
                    "discarded",
                    r->name, (unsigned long long)got, (long long)want);
        return VLM_EMISMATCH;
    }
    const char *tag = s->linked_etag[0] ? s->linked_etag : s->etag;
    if (!is_sha256_hex(tag)) return VLM_OK;
    char hex[VLM_SHA256_HEX_LEN + 1];
    int rc = vlm_sha256_file(r->part_path, hex, err);
    if (rc) return rc;
    if (strcasecmp(hex, tag) != 0) {
        unlink(r->part_path);
        vlm_set_err(err,
                    "%s: SHA-256 %s does not match the hub's %s; discarded",
                    r->name, hex, tag);
        return VLM_EMISMATCH;
    }
    return VLM_OK;
}

static int create_empty(const char *path)
{
    if (hub_make_parent_dirs(path, NULL) != VLM_OK) return -1;
    FILE *fp = fopen(path, "wb");
    return fp ? fclose(fp) : -1;
}

/* One GET; *retry is set when a stale .part must be dropped and refetched. */
static int fetch_once(CURL *curl, fetch_state *s, int *retry, char *err)
{
    char range[32], errbuf[CURL_ERROR_SIZE] = "";
    s->offset = part_size(s->req->part_path);
    snprintf(range, sizeof range, "%llu-", (unsigned long long)s->offset);
    setup_request(curl, s, range, errbuf);
    CURLcode cc = curl_easy_perform(curl);
    int bad_close = close_part(s);
    if (cc != CURLE_OK) return transfer_error(s, cc, errbuf, err);
    if (bad_close) {
        vlm_set_err(err, "%s: cannot write %s", s->req->name,
                    s->req->part_path);
        return VLM_EIO;
    }
    if (s->status == 416) {
        /* the .part already holds the whole file, or is stale */
        if (s->range_total >= 0 && (uint64_t)s->range_total == s->offset)
            return verify_part(s, err);
        unlink(s->req->part_path);
        *retry = 1;
        return VLM_OK;
    }
    if (s->status != 200 && s->status != 206) return http_error(s, err);
    if (!s->got_body && s->offset == 0 &&
        create_empty(s->req->part_path) != 0) {
        /* no body at all: an empty file is still a file */
        vlm_set_err(err, "%s: cannot create %s", s->req->name,
                    s->req->part_path);
        return VLM_EIO;
    }
    return verify_part(s, err);
}

int hub_fetch_file(CURL *curl, const hub_fetch_req *r, char *err)
{
    int rc, retry = 1;
    for (int attempt = 0; attempt < 2 && retry; attempt++) {
        fetch_state s = {.req = r, .linked_size = -1};
        retry = 0;
        if ((rc = fetch_once(curl, &s, &retry, err))) return rc;
    }
    if (retry) {
        vlm_set_err(err, "%s: the server keeps refusing the byte range",
                    r->name);
        return VLM_ENETWORK;
    }
    if ((rc = hub_make_parent_dirs(r->final_path, err))) return rc;
    if (rename(r->part_path, r->final_path) != 0) {
        vlm_set_err(err, "%s: cannot rename %s to %s: %s", r->name,
                    r->part_path, r->final_path, strerror(errno));
        return VLM_EIO;
    }
    return VLM_OK;
}

int hub_make_parent_dirs(const char *path, char *err)
{
    char *p = strdup(path);
    if (!p) {
        vlm_set_err(err, "%s: out of memory", path);
        return VLM_ENOMEM;
    }
    for (char *q = p + 1; (q = strchr(q, '/')); q++) {
        *q = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            vlm_set_err(err, "%s: cannot create folder: %s", p,
                        strerror(errno));
            free(p);
            return VLM_EIO;
        }
        *q = '/';
    }
    free(p);
    return VLM_OK;
}
