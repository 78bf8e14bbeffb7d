/*
 * api_search.c — /api/search (text, the +/- query language, id:N terms),
 * /api/search/image (an uploaded image) and /api/classify.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_decode.h"
#include "query/classify.h"
#include "query/result_format.h"
#include "query/search.h"
#include "server/api_search.h"

#define MAX_RESULTS      200  /* per page */
#define MAX_DEPTH        1000 /* offset + n */
#define MAX_LABELS       100
#define MAX_TEMPLATES    16
#define MAX_IDS          1000
#define UPLOAD_MAX_PIXEL (64ull << 20)

/* ---- request parsing ------------------------------------------------------------ */

/* The JSON body as an object (depth-limited), or NULL after a 400. */
static json_object *parse_body(request *r)
{
    json_tokener *tok = json_tokener_new_ex(8);
    json_object *o = tok && r->body
                         ? json_tokener_parse_ex(tok, r->body, (int)r->len)
                         : NULL;
    bool whole = tok && json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == r->len;
    if (tok) json_tokener_free(tok);
    if (o && whole && json_object_is_type(o, json_type_object)) return o;
    json_object_put(o);
    reply_error(r, 400, "the body must be one JSON object");
    return NULL;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) &&
                   json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int jint(json_object *o, const char *key, int def, int lo, int hi)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return def;
    int64_t x = json_object_get_int64(v);
    return x < lo ? lo : x > hi ? hi : (int)x;
}

/* An absolute folder without "." or ".." components. */
static bool folder_ok(const char *in)
{
    if (in[0] != '/' || strlen(in) >= 4096) return false;
    for (const char *p = in; (p = strstr(p, "/.")); p++)
        if (!p[2] || p[2] == '/' || (p[2] == '.' && (!p[3] || p[3] == '/')))
            return false;
    return true;
}

/* Checks what every search takes; 0, or -1 after a 400. */
static int check_req(request *r, search_req *s)
{
    server *srv = r->srv;
    if (s->q && (int)strlen(s->q) > srv->cfg.max_query)
        return reply_error(r, 400, "the query is longer than %d characters",
                           srv->cfg.max_query),
               -1;
    if (s->in && *s->in && !folder_ok(s->in))
        return reply_error(r, 400, "in: an absolute folder without . or .."),
               -1;
    if (s->in && !*s->in) s->in = NULL;
    if (req_filter_parse(r, &s->filter_text, &s->filter)) return -1;
    if (s->offset + s->n > MAX_DEPTH) s->n = MAX_DEPTH - s->offset;
    return s->n > 0 ? 0
                    : (reply_error(r, 400, "offset beyond %d", MAX_DEPTH), -1);
}

static int args_req(request *r, search_req *s)
{
    s->q = req_arg(r, "q");
    s->in = req_arg(r, "in");
    s->filter_text = (req_filter_text){.after = req_arg(r, "after"),
                                       .before = req_arg(r, "before"),
                                       .camera = req_arg(r, "camera"),
                                       .type = req_arg(r, "type"),
                                       .min_size = req_arg(r, "min_size")};
    const char *coll = req_arg(r, "collection");
    if (coll && !strcmp(coll, "all"))
        s->collection = SEARCH_ALL_COLLECTIONS;
    else if (req_int_arg(r, "collection", 0, 0, 1 << 20, &s->collection))
        return -1;
    if (req_int_arg(r, "n", 40, 1, MAX_RESULTS, &s->n) ||
        req_int_arg(r, "offset", 0, 0, MAX_DEPTH, &s->offset))
        return -1;
    return 0;
}

static void json_req(json_object *o, search_req *s)
{
    s->q = jstr(o, "q");
    s->in = jstr(o, "in");
    s->filter_text = (req_filter_text){.after = jstr(o, "after"),
                                       .before = jstr(o, "before"),
                                       .camera = jstr(o, "camera"),
                                       .type = jstr(o, "type"),
                                       .min_size = jstr(o, "min_size")};
    s->n = jint(o, "n", 40, 1, MAX_RESULTS);
    s->offset = jint(o, "offset", 0, 0, MAX_DEPTH);
    const char *coll = jstr(o, "collection");
    s->collection = coll && !strcmp(coll, "all")
                        ? SEARCH_ALL_COLLECTIONS
                        : jint(o, "collection", 0, 0, 1 << 20);
}

/* ---- answering ---------------------------------------------------------------------- */

/* When it was taken (ISO 8601, as vlmsearch's JSONL) and by which camera,
 * each only when known. */
static void write_taken(json_buf *b, const search_hit *h)
{
    if (strlen(h->taken) == 19) { /* "YYYY:MM:DD HH:MM:SS" */
        char iso[20];
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.8s", h->taken, h->taken + 5,
                 h->taken + 8, h->taken + 11);
        jb_kstr(b, "date", iso);
        jb_kstr(b, "date_source", h->taken_exif ? "exif" : "mtime");
    }
    if (h->camera[0]) jb_kstr(b, "camera", h->camera);
}

/* "path", plus "path_b64" (the exact bytes) when it is not UTF-8, which
 * JSON strings cannot carry (docs/output.md, as vlmsearch --format jsonl). */
static void write_path(json_buf *b, const char *path)
{
    jb_kstr(b, "path", path);
    if (text_is_utf8(path)) return;
    size_t len = strlen(path);
    unsigned char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (!b64) return;
    EVP_EncodeBlock(b64, (const unsigned char *)path, (int)len);
    jb_kstr(b, "path_b64", (const char *)b64);
    free(b64);
}

/* A result row: never the path of a DICOM image (it may name the patient).
 * m: the model, for "prob" when its scoring is sigmoid (SigLIP); coll >= 0
 * tags the row with its collection (collection=all). */
void write_hit(json_buf *b, const search_hit *h, const clip_model *m, int coll)
{
    jb_obj(b);
    if (coll >= 0) jb_kint(b, "collection", coll);
    jb_kint(b, "id", h->id);
    jb_knum(b, "score", h->score);
    if (m && clip_model_scoring(m) == CLIP_SCORE_SIGMOID)
        jb_knum(b, "prob", clip_pair_probability(m, h->score));
    bool dicom = !strncmp(h->format, "dicom", 5);
    if (!dicom) write_path(b, h->path);
    jb_kint(b, "width", h->width);
    jb_kint(b, "height", h->height);
    jb_kstr(b, "format", h->format);
    if (!dicom) write_taken(b, h);
    jb_end_obj(b);
}

search_options search_req_options(const search_req *s)
{
    return (search_options){.top_k = s->offset + s->n,
                            .in_dir = s->in,
                            .filter = req_filter_get(&s->filter)};
}

void write_page(json_buf *b, const search_req *s, const char *qtext,
                const search_hit *hits, int n, const clip_model *m, int64_t t0)
{
    bool all = s->collection == SEARCH_ALL_COLLECTIONS;
    jb_obj(b);
    if (all)
        jb_kstr(b, "collection", "all");
    else
        jb_kint(b, "collection", s->collection);
    jb_kstr(b, "query", qtext);
    jb_kint(b, "offset", s->offset);
    jb_kint(b, "n", s->n);
    int top_k = s->offset + s->n;
    jb_kbool(b, "more", n == top_k && top_k < MAX_DEPTH);
    jb_key(b, "results");
    jb_arr(b);
    for (int i = s->offset; i < n; i++)
        write_hit(b, &hits[i], m, all ? hits[i].source : -1);
    jb_end_arr(b);
    jb_knum(b, "took_ms", (double)(server_now_ms() - t0));
    jb_end_obj(b);
}

static int write_results(reader *rd, const search_req *s, const char *qtext,
                         int64_t t0, char *err)
{
    search_options so = search_req_options(s);
    search_hit *hits = NULL;
    int n = 0, rc = VLM_OK;
    if (session_index(rd->s))
        rc = search_run(session_collection(rd->s), session_index(rd->s), rd->qv,
                        &so, &hits, &n, err);
    if (!rc) write_page(&rd->out, s, qtext, hits, n, session_model(rd->s), t0);
    search_hits_free(hits, n);
    return rc;
}

int query_vectors_encode(server *srv, const query *q, query_vectors *qv,
                         char *err)
{
    int dims = clip_embed_dim(session_model(srv->model));
    *qv = (query_vectors){.q = q, .dims = dims};
    if (!q) return VLM_OK;
    qv->v = malloc((size_t)(q->n_terms ? q->n_terms : 1) * (size_t)dims *
                   sizeof *qv->v);
    if (!qv->v) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < q->n_terms; i++)
        if (q->terms[i].kind == QUERY_TEXT)
            rc = server_encode_text(srv, q->terms[i].value,
                                    qv->v + (size_t)i * (size_t)dims, err);
    return rc;
}

void query_vectors_free(query_vectors *qv)
{
    free(qv->v);
    qv->v = NULL;
}

/* search_embedder.text: the vector encoded before (the same term). */
static int encoded_text(void *user, const char *text, float *out, char *err)
{
    const query_vectors *qv = user;
    for (int i = 0; i < qv->q->n_terms; i++)
        if (qv->q->terms[i].value == text) {
            memcpy(out, qv->v + (size_t)i * (size_t)qv->dims,
                   (size_t)qv->dims * sizeof *out);
            return VLM_OK;
        }
    vlm_set_err(err, "'%s' was not encoded", text);
    return VLM_EINVAL;
}

int reader_embed(reader *rd, const query_vectors *qv, const float *upload,
                 char *err)
{
    clip_model *m = session_model(rd->s);
    int dims = clip_embed_dim(m);
    search_embedder e = {.m = m,
                         .c = session_collection(rd->s),
                         .text = encoded_text,
                         .user = (void *)qv};
    memset(rd->qv, 0, (size_t)dims * sizeof *rd->qv);
    int rc = qv->q ? search_add_terms(&e, qv->q, rd->qv, err) : VLM_OK;
    if (!rc && upload) {
        memcpy(rd->tmp, upload, (size_t)dims * sizeof *rd->tmp);
        search_add_vector(rd->qv, rd->tmp, 1.0f, dims);
    }
    double weights = (qv->q ? search_weight_sum(qv->q) : 0) + (upload ? 1 : 0);
    return rc ? rc : search_finish_vector(rd->qv, dims, weights, err);
}

/* Text terms are encoded before a reader is taken: requests wait for the
 * model side by side (and share its passes), not one reader at a time. */
static enum MHD_Result run_search(request *r, search_req *s, const float *up)
{
    int64_t t0 = server_now_ms();
    char err[VLM_ERR_MAX] = "", text[1100] = "";
    query q = {0};
    bool has_q = s->q && s->q[strspn(s->q, " \t\r\n")];
    if (!has_q && !up) return reply_error(r, 400, "empty query: give q");
    if (has_q && query_parse_ids(s->q, &q, err))
        return reply_error(r, 400, "%s", err);
    if (has_q) query_format(&q, text, sizeof text);
    query_vectors qv;
    int rc = query_vectors_encode(r->srv, has_q ? &q : NULL, &qv, err);
    if (!rc && s->collection == SEARCH_ALL_COLLECTIONS) {
        enum MHD_Result ok =
            search_all(r, s, &qv, up, has_q ? text : "(image)", t0);
        query_vectors_free(&qv);
        query_free(&q);
        return ok;
    }
    served *sv = rc ? NULL : req_collection(r, s->collection);
    reader *rd = sv ? req_reader(r, sv) : NULL;
    enum MHD_Result ok = MHD_YES;
    if (rc) ok = reply_error(r, http_status_for(rc), "%s", err);
    if (rd) {
        rc = reader_embed(rd, &qv, up, err);
        if (!rc)
            rc = write_results(rd, s, up && !has_q ? "(image)" : text, t0, err);
        ok = rc ? reply_error(r, http_status_for(rc), "%s", err)
                : reply_json(r, 200, &rd->out);
        served_release(rd);
    }
    query_vectors_free(&qv);
    query_free(&q);
    return ok;
}

enum MHD_Result api_search(request *r)
{
    search_req s = {0};
    json_object *o = NULL;
    if (!strcmp(r->method, "POST")) {
        if (!(o = parse_body(r))) return MHD_YES;
        json_req(o, &s);
    } else if (args_req(r, &s)) {
        return MHD_YES;
    }
    enum MHD_Result ok = check_req(r, &s) ? MHD_YES : run_search(r, &s, NULL);
    json_object_put(o);
    return ok;
}

/* ---- an uploaded image ------------------------------------------------------------ */

typedef struct image_job {
    const float *pixels;
    float *out;
} image_job;

static int encode_image(void *user, clip_model *m, char *err)
{
    image_job *j = user;
    return clip_encode_images(m, j->pixels, 1, j->out, NULL, NULL, NULL, err);
}

/* Decodes and encodes the upload (the indexer's JPEG fast path, so an
 * indexed file uploaded again finds itself first). */
static int embed_upload(request *r, float *out, char *err)
{
    server *srv = r->srv;
    clip_model *m = session_model(srv->model);
    const img_prep_params *pp = clip_prep_params(m);
    media_decode_opts o = {.max_pixels = UPLOAD_MAX_PIXEL,
                           .min_short_side = 2 * pp->shortest_edge};
    media_image im = {0};
    int rc = media_decode(r->body, r->len, "the uploaded image", &o, &im, err);
    if (rc == VLM_EUNSUPPORTED && !err[0])
        vlm_set_err(err, "the uploaded file is not an image");
    size_t n = 3 * (size_t)pp->crop_w * (size_t)pp->crop_h;
    float *px = rc ? NULL : malloc(n * sizeof *px);
    if (!rc) rc = px ? img_preprocess(&im.rgb, pp, px, err) : VLM_ENOMEM;
    media_image_free(&im);
    image_job j = {px, out};
    if (!rc) rc = model_worker_call(srv->worker, encode_image, &j, err);
    free(px);
    return rc;
}

enum MHD_Result api_search_image(request *r)
{
    search_req s = {0};
    if (args_req(r, &s) || check_req(r, &s)) return MHD_YES;
    if (!r->body || !r->len)
        return reply_error(r, 400, "send the image as the request body");
    int dims = clip_embed_dim(session_model(r->srv->model));
    float *v = malloc((size_t)dims * sizeof *v);
    char err[VLM_ERR_MAX] = "";
    int rc = v ? embed_upload(r, v, err) : VLM_ENOMEM;
    enum MHD_Result ok =
        rc ? reply_error(r, rc == VLM_ENOMEM ? 500 : 415, "%s", err)
           : run_search(r, &s, v);
    free(v);
    return ok;
}

/* ---- classify ------------------------------------------------------------------- */

/* strings[] of a JSON array of strings (at most max), or -1. */
static int jstrings(json_object *o, const char *key, const char **out, int max)
{
    json_object *a;
    if (!json_object_object_get_ex(o, key, &a)) return 0;
    if (!json_object_is_type(a, json_type_array)) return -1;
    int n = (int)json_object_array_length(a);
    if (n > max) return -1;
    for (int i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(a, (size_t)i);
        if (!json_object_is_type(v, json_type_string) ||
            json_object_get_string_len(v) > 200)
            return -1;
        out[i] = json_object_get_string(v);
    }
    return n;
}

static void write_class_row(json_buf *b, const label_set *ls, int64_t id,
                            const float *probs, int top)
{
    jb_obj(b);
    jb_kint(b, "id", id);
    jb_kstr(b, "top", label_set_label(ls, top));
    jb_knum(b, "top_prob", probs[top]);
    jb_key(b, "probs");
    jb_arr(b);
    for (int i = 0; i < label_set_count(ls); i++) jb_num(b, probs[i]);
    jb_end_arr(b);
    jb_end_obj(b);
}

static int classify_ids(reader *rd, const label_set *ls, json_object *ids,
                        char *err)
{
    json_buf *b = &rd->out;
    clip_model *m = session_model(rd->s);
    float probs[MAX_LABELS];
    jb_obj(b);
    jb_key(b, "labels");
    jb_arr(b);
    for (int i = 0; i < label_set_count(ls); i++)
        jb_str(b, label_set_label(ls, i));
    jb_end_arr(b);
    jb_key(b, "results");
    jb_arr(b);
    int n = (int)json_object_array_length(ids), rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++) {
        int64_t id =
            json_object_get_int64(json_object_array_get_idx(ids, (size_t)i));
        rc = collection_get_embedding(session_collection(rd->s), id, rd->tmp,
                                      clip_embed_dim(m), err);
        if (rc == VLM_ENOTFOUND) { /* gone meanwhile: skipped */
            rc = VLM_OK;
            continue;
        }
        if (!rc)
            write_class_row(b, ls, id, probs,
                            label_set_classify(ls, rd->tmp, probs));
    }
    jb_end_arr(b);
    jb_end_obj(b);
    return rc;
}

typedef struct labels_job {
    const char *const *labels, *const *templates;
    int n_labels, n_templates;
    label_set *ls;
} labels_job;

static int make_label_set(void *user, clip_model *m, char *err)
{
    labels_job *j = user;
    return label_set_create(m, j->labels, j->n_labels, j->templates,
                            j->n_templates, &j->ls, err);
}

static enum MHD_Result classify(request *r, json_object *o, const char **labels,
                                int nl, const char **tpl, int nt,
                                json_object *ids)
{
    json_object *coll;
    if (json_object_object_get_ex(o, "collection", &coll) &&
        !json_object_is_type(coll, json_type_int))
        return reply_error(r, 400,
                           "collection: the number of one collection "
                           "(ids belong to one)");
    served *sv = req_collection(r, jint(o, "collection", 0, 0, 1 << 20));
    reader *rd = sv ? req_reader(r, sv) : NULL;
    if (!rd) return MHD_YES;
    char err[VLM_ERR_MAX] = "";
    labels_job j = {labels, tpl, nl, nt, NULL};
    int rc = model_worker_call(r->srv->worker, make_label_set, &j, err);
    if (!rc) rc = classify_ids(rd, j.ls, ids, err);
    label_set_destroy(j.ls);
    enum MHD_Result ok = rc ? reply_error(r, http_status_for(rc), "%s", err)
                            : reply_json(r, 200, &rd->out);
    served_release(rd);
    return ok;
}

enum MHD_Result api_classify(request *r)
{
    json_object *o = parse_body(r), *ids = NULL;
    if (!o) return MHD_YES;
    const char *labels[MAX_LABELS], *tpl[MAX_TEMPLATES];
    int nl = jstrings(o, "labels", labels, MAX_LABELS);
    int nt = jstrings(o, "templates", tpl, MAX_TEMPLATES);
    bool ids_ok = json_object_object_get_ex(o, "ids", &ids) &&
                  json_object_is_type(ids, json_type_array) &&
                  json_object_array_length(ids) <= MAX_IDS;
    for (size_t i = 0; ids_ok && i < json_object_array_length(ids); i++)
        ids_ok = json_object_is_type(json_object_array_get_idx(ids, i),
                                     json_type_int);
    enum MHD_Result ok;
    if (nl < 2 || nt < 0 || !ids_ok)
        ok = reply_error(r, 400,
                         "give labels (2-%d strings), ids (up to %d image ids) "
                         "and optionally templates (up to %d, with {})",
                         MAX_LABELS, MAX_IDS, MAX_TEMPLATES);
    else
        ok = classify(r, o, labels, nl, tpl, nt, ids);
    json_object_put(o);
    return ok;
}
