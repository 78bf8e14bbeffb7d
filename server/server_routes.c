/* server_routes.c — which handler answers which method and path. */
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"

static const route routes[] = {
    {"GET", "/api/status", api_status, false, false},
    {"GET", "/api/search", api_search, false, false},
    {"POST", "/api/search", api_search, false, false},
    {"POST", "/api/search/image", api_search_image, false, true},
    {"POST", "/api/classify", api_classify, false, false},
    {"GET", "/api/worklist", api_worklist, false, false},
    {"GET", "/api/images/{id}", api_image, false, false},
    {"GET", "/api/images/{id}/thumb", api_thumb, false, false},
    {"GET", "/api/images/{id}/meta", api_meta, false, false},
    {"GET", "/api/images/{id}/render", api_render, false, false},
};

/* "{id}" in pattern matches 1-18 decimal digits of url. */
static bool match(const char *pattern, const char *url, int64_t *id)
{
    const char *brace = strstr(pattern, "{id}");
    if (!brace) return !strcmp(pattern, url);
    size_t head = (size_t)(brace - pattern);
    if (strncmp(pattern, url, head)) return false;
    const char *digits = url + head;
    size_t n = strspn(digits, "0123456789");
    if (n == 0 || n > 18) return false;
    if (strcmp(brace + 4, digits + n)) return false;
    *id = strtoll(digits, NULL, 10);
    return true;
}

const route *route_find(const char *method, const char *url, int64_t *id,
                        bool *path_known)
{
    static const route page = {"GET", "*", web_asset, true, false};
    *path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (!match(routes[i].path, url, id)) continue;
        *path_known = true;
        if (!strcmp(routes[i].method, method)) return &routes[i];
    }
    if (strncmp(url, "/api/", 5) && web_file_find(url)) {
        *path_known = true;
        if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) return &page;
    }
    return NULL;
}

enum MHD_Result web_asset(request *r)
{
    const web_file *f = web_file_find(r->url);
    const char *inm =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    struct MHD_Response *resp;
    bool same = inm && !strcmp(inm, f->etag);
    resp = MHD_create_response_from_buffer(same ? 0 : f->len, (void *)f->data,
                                           MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", f->type);
    MHD_add_response_header(resp, "ETag", f->etag);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(
        resp, "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' blob: data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    enum MHD_Result ok = MHD_queue_response(r->conn, same ? 304 : 200, resp);
    MHD_destroy_response(resp);
    return ok;
}
