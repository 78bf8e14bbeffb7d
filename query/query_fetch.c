#include "query/query_fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int query_is_url(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8) ||
           !strncasecmp(s, "file://", 7);
}

typedef struct body {
    uint8_t *data;
    size_t len, cap;
    int too_big;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    body *b = user;
    size_t k = size * n;
    if ((int64_t)(b->len + k) > QUERY_FETCH_MAX_BYTES) {
        b->too_big = 1;
        return 0; /* stops the transfer */
    }
    if (b->len + k > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + k) cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

static void init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void setup(CURL *c, const char *url, body *b, char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)QUERY_FETCH_MAX_BYTES);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, QUERY_FETCH_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vlmindex");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

static int fetch_error(const char *url, CURLcode cc, long status, const body *b,
                       const char *errbuf, char *err)
{
    if (b->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        vlm_set_err(err,
                    "%s: larger than %lld MiB (the limit for a query "
                    "image)",
                    url, (long long)(QUERY_FETCH_MAX_BYTES >> 20));
        return VLM_ETOOBIG;
    }
    if (cc == CURLE_OK) {
        vlm_set_err(err, "%s: HTTP %ld", url, status);
        return status == 404 ? VLM_ENOTFOUND : VLM_ENETWORK;
    }
    vlm_set_err(err, "%s: %s", url,
                errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return cc == CURLE_FILE_COULDNT_READ_FILE ? VLM_ENOTFOUND : VLM_ENETWORK;
}

int query_fetch_url(const char *url, uint8_t **buf, size_t *len, char *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    body b = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    long status = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        vlm_set_err(err, "%s: cannot initialise libcurl", url);
        return VLM_ENOMEM;
    }
    setup(c, url, &b, errbuf);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    int http = !strncasecmp(url, "http", 4);
    if (cc != CURLE_OK || b.too_big || (http && status != 200)) {
        free(b.data);
        return fetch_error(url, cc, status, &b, errbuf, err);
    }
    *buf = b.data;
    *len = b.len;
    return VLM_OK;
}

char *query_file_url_path(const char *url)
{
    if (strncasecmp(url, "file://", 7)) return NULL;
    CURLU *u = curl_url();
    char *path = NULL, *out = NULL;
    if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
        !curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE))
        out = strdup(path);
    curl_free(path);
    curl_url_cleanup(u);
    return out;
}
