/*
 * dicomweb_http.c — the HTTP side of the DICOMweb client: URL policy,
 * credentials (environment or a private netrc), TLS that is always
 * verified, timeouts, and bounded retries with exponential backoff.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "dicomweb/dicomweb_internal.h"

#define DEFAULT_MAX_BODY ((size_t)256 << 20)
#define MAX_BACKOFF_MS   8000u
#define POLL_MS          100 /* how often a transfer looks at cancel/deadline */

struct dw_http {
    CURL *curl;
    CURLM *multi; /* one easy handle, driven in a loop that can be stopped */
    char *base;   /* normalised base URL, no trailing slash */
    char *user, *password, *token; /* from the environment, wiped at exit */
    char *netrc;                   /* checked netrc path, or NULL */
    const char *cred_source;       /* for error messages: what was used */
    long timeout_s, connect_timeout_s;
    int max_retries;
    unsigned backoff_ms;
    char *ca_file;
    long stall_s;
    size_t max_body;
    struct timespec start; /* the deadline counts from here */
    double deadline_s;     /* 0 = none */
    volatile sig_atomic_t *cancel;
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
    unsigned long requests;
    char curl_err[CURL_ERROR_SIZE]; /* libcurl's detail of the last failure */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void dw_buf_free(dw_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int buf_add(dw_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *nd = realloc(b->data, cap);
        if (!nd) return -1;
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dw_url_append(dw_buf *b, const char *text, int encode)
{
    for (const char *p = text; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        int plain = !encode || (ch >= '0' && ch <= '9') ||
                    ((ch | 32) >= 'a' && (ch | 32) <= 'z') ||
                    strchr("-._~", ch);
        char esc[4];
        snprintf(esc, sizeof esc, "%%%02X", ch);
        if (plain ? buf_add(b, p, 1) : buf_add(b, esc, 3)) return -1;
    }
    return 0;
}

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void dw_http_destroy(dw_http *h)
{
    if (!h) return;
    if (h->curl) curl_easy_cleanup(h->curl);
    if (h->multi) curl_multi_cleanup(h->multi);
    wipe_free(h->user);
    wipe_free(h->password);
    wipe_free(h->token);
    free(h->netrc);
    free(h->base);
    free(h->ca_file);
    free(h);
}

const char *dw_http_base(const dw_http *h) { return h->base; }

static int is_loopback(const char *host)
{
    return !strcmp(host, "127.0.0.1") || !strcasecmp(host, "localhost") ||
           !strcmp(host, "[::1]") || !strcmp(host, "::1");
}

/* Scheme, no userinfo, http only to loopback. */
static int check_url(const char *url, char *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    int st = VLM_OK;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        vlm_set_err(err, "DICOMweb URL is not valid (expected "
                         "dicomweb+https://host/path)");
        st = VLM_EINVAL;
    } else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        vlm_set_err(err,
                    "DICOMweb URL must not contain credentials; use "
                    "VLMINDEX_DICOMWEB_USER/_PASSWORD or a 0600 netrc file");
        st = VLM_EINVAL;
    } else if (strcasecmp(scheme, "https") &&
               !(strcasecmp(scheme, "http") == 0 && is_loopback(host))) {
        vlm_set_err(err,
                    "DICOMweb URL: only https:// is allowed (plain "
                    "http:// only to a loopback test server), got %s://%s",
                    scheme, host);
        st = VLM_EINVAL;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return st;
}

static int set_base(dw_http *h, const char *url, char *err)
{
    if (!url || !*url) {
        vlm_set_err(err, "DICOMweb: no server URL given");
        return VLM_EINVAL;
    }
    if (!strncmp(url, "dicomweb+", 9)) url += 9;
    h->base = strdup(url);
    if (!h->base) return VLM_ENOMEM;
    size_t n = strlen(h->base);
    while (n > 0 && h->base[n - 1] == '/') h->base[--n] = '\0';
    return check_url(h->base, err);
}

static int check_netrc(dw_http *h, const char *path, char *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        vlm_set_err(err, "netrc file %s: %s", path, strerror(errno));
        return VLM_ENOTFOUND;
    }
    if (!S_ISREG(sb.st_mode)) {
        vlm_set_err(err, "netrc file %s is not a regular file", path);
        return VLM_EINVAL;
    }
    if (sb.st_mode & 077) {
        vlm_set_err(err,
                    "netrc file %s is accessible by group/others (mode "
                    "%04o); refusing to use it: chmod 600 %s",
                    path, (unsigned)(sb.st_mode & 07777), path);
        return VLM_EINVAL;
    }
    h->netrc = strdup(path);
    h->cred_source = "the netrc file";
    return h->netrc ? VLM_OK : VLM_ENOMEM;
}

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strdup(v) : NULL;
}

/* Environment first (token, then user+password), else a private netrc. */
static int load_credentials(dw_http *h, const dicomweb_opts *o, char *err)
{
    h->cred_source = NULL;
    if ((h->token = env_dup("VLMINDEX_DICOMWEB_TOKEN"))) {
        h->cred_source = "VLMINDEX_DICOMWEB_TOKEN";
        return VLM_OK;
    }
    h->user = env_dup("VLMINDEX_DICOMWEB_USER");
    h->password = env_dup("VLMINDEX_DICOMWEB_PASSWORD");
    if (h->user && h->password) {
        h->cred_source = "VLMINDEX_DICOMWEB_USER/_PASSWORD";
        return VLM_OK;
    }
    if (h->user || h->password) {
        vlm_set_err(err, "set both VLMINDEX_DICOMWEB_USER and "
                         "VLMINDEX_DICOMWEB_PASSWORD, or neither");
        return VLM_EINVAL;
    }
    const char *netrc =
        o->netrc_file ? o->netrc_file : getenv("VLMINDEX_DICOMWEB_NETRC");
    return netrc && *netrc ? check_netrc(h, netrc, err) : VLM_OK;
}

/* ---- stopping ----------------------------------------------------------- */

static double elapsed_s(const dw_http *h)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - h->start.tv_sec) +
           (double)(now.tv_nsec - h->start.tv_nsec) * 1e-9;
}

static int stop_status(const dw_http *h)
{
    if (h->cancel && *h->cancel) return VLM_EINTERRUPTED;
    if (h->deadline_s > 0 && elapsed_s(h) >= h->deadline_s) return VLM_ETOOBIG;
    return VLM_OK;
}

static void stop_message(const dw_http *h, int st, const char *what, char *err)
{
    if (st == VLM_EINTERRUPTED)
        vlm_set_err(err, "DICOMweb %s: interrupted", what);
    else
        vlm_set_err(err,
                    "DICOMweb %s: the overall deadline of %g s passed "
                    "(after %lu requests)",
                    what, h->deadline_s, h->requests);
}

int dw_http_check_stop(dw_http *h, const char *what, char *err)
{
    int st = stop_status(h);
    if (st != VLM_OK) stop_message(h, st, what, err);
    return st;
}

/* ---- one transfer ------------------------------------------------------- */

typedef struct xfer {
    dw_http *h;
    const dw_sink *sink;
    const char *what;
    int checked, deliver; /* status line seen; body goes to the sink */
    int status;           /* why we aborted (VLM_*), 0 = we did not */
    char err[VLM_ERR_MAX];
} xfer;

static int ctype_ok(const char *ct, const char *const *want)
{
    if (!want) return 1;
    for (; *want; want++) {
        size_t n = strlen(*want);
        int prefix = n > 0 && (*want)[n - 1] == '/'; /* "image/": any image */
        if (ct && !strncasecmp(ct, *want, n) &&
            (prefix || ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return 1;
    }
    return 0;
}

/* First body byte: only a 2xx answer of an accepted type reaches the sink;
 * other answers (errors, redirects) are read and dropped. */
static int check_answer(xfer *x)
{
    long code = 0;
    char *ct = NULL;
    x->checked = 1;
    curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(x->h->curl, CURLINFO_CONTENT_TYPE, &ct);
    if (code < 200 || code >= 300) return VLM_OK;
    if (!ctype_ok(ct, x->sink->ctypes)) {
        vlm_set_err(x->err,
                    "DICOMweb %s: answer has Content-Type \"%.60s\", "
                    "expected %s",
                    x->what, ct ? ct : "(none)", x->sink->ctypes[0]);
        return VLM_EFORMAT;
    }
    x->deliver = 1;
    return VLM_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t bytes = size * n;
    if (!x->checked && (x->status = check_answer(x)) != VLM_OK) return 0;
    if (x->deliver &&
        (x->status = x->sink->write(x->sink->ctx, p, bytes, x->err)) != VLM_OK)
        return 0;
    return bytes;
}

static int on_xferinfo(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    xfer *x = ud;
    int st = stop_status(x->h);
    if (st == VLM_OK) return 0;
    x->status = st;
    stop_message(x->h, st, x->what, x->err);
    return 1;
}

static int setup_curl(dw_http *h)
{
    CURL *c = h->curl;
    int bad = 0;
    bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* creds stay put */
    bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file) bad |= curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout_s);
    bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->stall_s);
    bad |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "vlmindex-dicomweb/0.1");
    bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
    bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    if (h->token) {
        bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        bad |= curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, h->token);
    } else if (h->user) {
        bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        bad |= curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
        bad |= curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
    } else if (h->netrc) {
        bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        bad |= curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_REQUIRED);
        bad |= curl_easy_setopt(c, CURLOPT_NETRC_FILE, h->netrc);
    }
    return bad ? VLM_EUNSUPPORTED : VLM_OK;
}

static void set_limits(dw_http *h, const dicomweb_opts *o)
{
    h->timeout_s = o->timeout_s > 0 ? o->timeout_s : 60;
    h->connect_timeout_s = o->connect_timeout_s > 0 ? o->connect_timeout_s : 10;
    h->stall_s = o->stall_timeout_s > 0 ? o->stall_timeout_s : 30;
    h->max_retries = o->max_retries < 0 ? 0
                     : o->max_retries   ? o->max_retries
                                        : 3;
    h->backoff_ms = o->backoff_ms ? o->backoff_ms : 500;
    h->max_body = o->max_body_bytes ? o->max_body_bytes : DEFAULT_MAX_BODY;
    h->deadline_s = o->deadline_s > 0 ? o->deadline_s : 0;
    h->cancel = o->cancel;
    h->log = o->log;
    h->log_ctx = o->log_ctx;
    clock_gettime(CLOCK_MONOTONIC, &h->start);
}

int dw_http_create(const dicomweb_opts *o, dw_http **out, char *err)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    dw_http *h = calloc(1, sizeof *h);
    if (!h) return VLM_ENOMEM;
    set_limits(h, o);
    int st = set_base(h, o->base_url, err);
    if (st == VLM_OK && o->ca_file && !(h->ca_file = strdup(o->ca_file)))
        st = VLM_ENOMEM;
    if (st == VLM_OK) st = load_credentials(h, o, err);
    if (st == VLM_OK &&
        (!(h->curl = curl_easy_init()) || !(h->multi = curl_multi_init())))
        st = VLM_ENOMEM;
    if (st == VLM_OK && (st = setup_curl(h)) != VLM_OK)
        vlm_set_err(err, "libcurl lacks a required option (too old?)");
    if (st == VLM_ENOMEM) vlm_set_err(err, "DICOMweb: out of memory");
    if (st != VLM_OK) {
        dw_http_destroy(h);
        return st;
    }
    *out = h;
    return VLM_OK;
}

unsigned long dw_http_requests(const dw_http *h) { return h->requests; }

void dw_http_note(const dw_http *h, const char *fmt, ...)
{
    if (!h->log) return;
    char msg[VLM_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->log(h->log_ctx, msg);
}

/* ---- requests ----------------------------------------------------------- */

static int retryable(CURLcode rc, long code)
{
    switch (rc) {
    case CURLE_OK:
        return code == 429 || code == 500 || code == 502 || code == 503 ||
               code == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST: return 1;
    default: return 0;
    }
}

static const char *reason(long code)
{
    switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "error";
    }
}

/* "GET /dicom-web/studies": the path only, never the query string. */
static void describe(const char *method, const char *url, char *buf, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t n = p ? strcspn(p, "?#") : 1;
    snprintf(buf, cap, "%s %.*s", method, (int)(n > 300 ? 300 : n),
             p ? p : "/");
}

static int is_tls_trust(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR;
}

static void report(const dw_http *h, const char *what, CURLcode rc, long code,
                   int tries, char *err)
{
    if (is_tls_trust(rc)) {
        vlm_set_err(err,
                    "DICOMweb %s: TLS certificate verification failed (%s); "
                    "the server's certificate must come from a CA in "
                    "--ca-file (or the system's store) and name the host",
                    what,
                    h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
        vlm_set_err(err, "DICOMweb %s: %s (after %d tr%s)", what,
                    curl_easy_strerror(rc), tries, tries == 1 ? "y" : "ies");
    } else if (code == 401 || code == 403) {
        vlm_set_err(
            err, "DICOMweb %s: HTTP %ld %s: %s", what, code, reason(code),
            h->cred_source ? "the server rejected the credentials from"
                             " the configured source"
                           : "no credentials were given (set "
                             "VLMINDEX_DICOMWEB_USER/_PASSWORD, "
                             "VLMINDEX_DICOMWEB_TOKEN or a 0600 netrc)");
        if (h->cred_source && err) {
            size_t n = strlen(err);
            snprintf(err + n, VLM_ERR_MAX - n, " (%s)", h->cred_source);
        }
    } else {
        vlm_set_err(err, "DICOMweb %s: HTTP %ld %s", what, code, reason(code));
    }
}

/* Runs the transfer in a multi loop that wakes every POLL_MS, so a cancel
 * or the deadline ends even a connection that sends nothing. */
static CURLcode run_once(dw_http *h, xfer *x)
{
    CURLcode res = CURLE_OK;
    if (curl_multi_add_handle(h->multi, h->curl) != CURLM_OK)
        return CURLE_OUT_OF_MEMORY;
    int running = 1, aborted = 0;
    while (running) {
        if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
            res = CURLE_RECV_ERROR;
            break;
        }
        if (!running) break;
        int st = stop_status(h);
        if (st != VLM_OK) {
            x->status = st;
            stop_message(h, st, x->what, x->err);
            aborted = 1;
            break;
        }
        curl_multi_poll(h->multi, NULL, 0, POLL_MS, NULL);
    }
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(h->multi, &left)))
        if (m->msg == CURLMSG_DONE) res = m->data.result;
    curl_multi_remove_handle(h->multi, h->curl);
    return aborted ? CURLE_ABORTED_BY_CALLBACK : res;
}

/* The try's time limit: the per-request timeout, cut to the deadline. */
static void set_try_timeout(dw_http *h)
{
    double ms = (double)h->timeout_s * 1000.0;
    if (h->deadline_s > 0) {
        double left = (h->deadline_s - elapsed_s(h)) * 1000.0 + 1;
        if (left < ms) ms = left < 1 ? 1 : left;
    }
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)ms);
}

/* Waits before a retry, in steps short enough to notice a cancel. */
static int backoff(dw_http *h, unsigned ms, const char *what, char *err)
{
    for (unsigned waited = 0; waited < ms; waited += 50) {
        int st = dw_http_check_stop(h, what, err);
        if (st != VLM_OK) return st;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return dw_http_check_stop(h, what, err);
}

static void report_failure(const dw_http *h, const char *what, CURLcode rc,
                           long code, int tries, char *err)
{
    if (rc == CURLE_OK && code >= 300 && code < 400)
        vlm_set_err(err,
                    "DICOMweb %s: HTTP %ld redirect, not followed "
                    "(credentials are sent only to the configured server; "
                    "give the URL it points to instead)",
                    what, code);
    else
        report(h, what, rc, code, tries, err);
}

/* One try after another until a 2xx answer, a final failure, a stop. */
static int perform(dw_http *h, const char *method, const char *url,
                   const dw_sink *sink, long *code, char *err)
{
    char what[400];
    describe(method, url, what, sizeof what);
    CURLcode rc = CURLE_OK;
    unsigned delay = h->backoff_ms;
    int tries = 0;
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    for (;;) {
        int st = dw_http_check_stop(h, what, err);
        if (st != VLM_OK) return st;
        xfer x = {.h = h, .sink = sink, .what = what};
        if (sink->reset) sink->reset(sink->ctx);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &x);
        set_try_timeout(h);
        *code = 0;
        h->curl_err[0] = '\0';
        rc = run_once(h, &x);
        tries++;
        h->requests++;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, code);
        if (x.status != VLM_OK) {
            vlm_set_err(err, "%s", x.err);
            return x.status;
        }
        if (rc == CURLE_OK && *code >= 200 && *code < 300) return VLM_OK;
        if (!retryable(rc, *code) || tries > h->max_retries) break;
        if ((st = backoff(h, delay, what, err)) != VLM_OK) return st;
        delay = delay * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : delay * 2;
    }
    report_failure(h, what, rc, *code, tries, err);
    return VLM_ENETWORK;
}

static struct curl_slist *header(struct curl_slist *l, const char *name,
                                 const char *value)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *n = curl_slist_append(l, line);
    if (!n) curl_slist_free_all(l);
    return n;
}

/* ---- bodies ------------------------------------------------------------- */

typedef struct buffer_sink {
    dw_buf *b;
    size_t max;
} buffer_sink;

static void buffer_reset(void *ctx) { ((buffer_sink *)ctx)->b->len = 0; }

static int buffer_write(void *ctx, const char *p, size_t n, char *err)
{
    buffer_sink *s = ctx;
    if (s->b->len + n > s->max) {
        vlm_set_err(err, "DICOMweb: answer over %zu MiB; refusing it",
                    s->max >> 20);
        return VLM_ETOOBIG;
    }
    if (buf_add(s->b, p, n)) {
        vlm_set_err(err, "DICOMweb: out of memory for an answer");
        return VLM_ENOMEM;
    }
    return VLM_OK;
}

int dw_http_get(dw_http *h, const char *url, const char *accept,
                const dw_sink *sink, long *code, char *ctype, size_t ctcap,
                char *err)
{
    struct curl_slist *hd = header(NULL, "Accept", accept);
    if (!hd) return VLM_ENOMEM;
    curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hd);
    int st = perform(h, "GET", url, sink, code, err);
    if (ctype && ctcap) {
        char *ct = NULL;
        curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(ctype, ctcap, "%s", ct ? ct : "");
    }
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hd);
    return st;
}

int dw_http_get_buffer(dw_http *h, const char *url, const char *accept,
                       const char *const *ctypes, dw_buf *body, long *code,
                       char *ctype, size_t ctcap, char *err)
{
    buffer_sink bs = {body, h->max_body};
    dw_sink sink = {buffer_reset, buffer_write, &bs, ctypes};
    return dw_http_get(h, url, accept, &sink, code, ctype, ctcap, err);
}

int dw_http_post(dw_http *h, const char *url, const char *content_type,
                 const void *data, size_t len, const char *accept, dw_buf *body,
                 long *code, char *err)
{
    struct curl_slist *hd = header(NULL, "Accept", accept);
    if (hd) hd = header(hd, "Content-Type", content_type);
    if (!hd) return VLM_ENOMEM;
    buffer_sink bs = {body, h->max_body};
    dw_sink sink = {buffer_reset, buffer_write, &bs, NULL};
    curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    int st = perform(h, "POST", url, &sink, code, err);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    curl_slist_free_all(hd);
    return st;
}
