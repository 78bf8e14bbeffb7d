/*
 * api_status.c — /api/status (the server, its model, each collection and
 * its watch) and /api/worklist (DICOM: one row per study).
 */
#include <stdlib.h>
#include <string.h>

#include "query/search.h"
#include "query/worklist.h"
#include "server/server_internal.h"

static void write_watch(json_buf *b, served *sv)
{
    watch_status ws = served_watch_status(sv);
    jb_key(b, "watch");
    jb_obj(b);
    jb_kbool(b, "enabled", ws.enabled);
    if (ws.enabled) {
        jb_kbool(b, "ready", ws.ready);
        jb_kint(b, "roots", ws.roots);
        jb_kint(b, "polled", ws.polled);
        jb_kint(b, "offline", ws.offline);
        jb_kint(b, "passes", ws.passes);
        if (ws.last_time[0]) jb_kstr(b, "last_pass", ws.last_time);
        if (ws.error[0]) jb_kstr(b, "error", ws.error);
    }
    jb_end_obj(b);
}

/* Roots are listed for photo collections only (folder names of DICOM
 * exports often carry patient names). */
static void write_roots(json_buf *b, collection *c, bool dicom)
{
    char **roots = NULL;
    size_t n = 0;
    jb_key(b, "roots");
    jb_arr(b);
    if (!dicom && !collection_list_roots(c, &roots, &n, NULL))
        for (size_t i = 0; i < n; i++) jb_str(b, roots[i]);
    jb_end_arr(b);
    collection_free_strings(roots, n);
}

static void write_collection(json_buf *b, served *sv, reader *rd)
{
    collection *c = session_collection(rd->s);
    collection_counts k = {0};
    collection_get_counts(c, &k, NULL);
    jb_obj(b);
    jb_kint(b, "collection", sv->index);
    jb_kstr(b, "name", sv->name);
    jb_kbool(b, "dicom", atomic_load(&sv->dicom));
    jb_kint(b, "images", k.images);
    jb_kint(b, "ok", k.ok);
    jb_kint(b, "failed", k.failed);
    jb_kint(b, "embeddings", k.embeddings);
    jb_kint(b, "dicom_images", k.dicom);
    write_roots(b, c, atomic_load(&sv->dicom));
    if (session_index(rd->s)) {
        vector_index_info vi;
        vector_index_get_info(session_index(rd->s), &vi);
        jb_key(b, "index");
        jb_obj(b);
        jb_kstr(b, "kind", vi.kind == VECTOR_INDEX_EXACT ? "exact" : "ivf");
        jb_kint(b, "vectors", vi.ntotal);
        jb_end_obj(b);
    }
    write_watch(b, sv);
    jb_end_obj(b);
}

static void write_server(json_buf *b, server *srv)
{
    clip_model *m = session_model(srv->model);
    query_cache_stats qs = query_cache_get_stats(srv->cache);
    jb_kstr(b, "service", "vlmindex");
    jb_kint(b, "uptime_s", (server_now_ms() - srv->started_ms) / 1000);
    jb_kint(b, "requests", atomic_load(&srv->requests));
    jb_kbool(b, "token_required", srv->has_token);
    jb_key(b, "model");
    jb_obj(b);
    jb_kstr(b, "name", clip_model_name(m));
    jb_kint(b, "dims", clip_embed_dim(m));
    jb_end_obj(b);
    jb_key(b, "query_cache");
    jb_obj(b);
    jb_kint(b, "entries", qs.entries);
    jb_kint(b, "capacity", qs.capacity);
    jb_kint(b, "hits", qs.hits);
    jb_kint(b, "misses", qs.misses);
    jb_end_obj(b);
    model_worker_stats ws = model_worker_get_stats(srv->worker);
    jb_key(b, "model_calls");
    jb_obj(b);
    jb_kint(b, "texts", ws.texts);
    jb_kint(b, "text_passes", ws.passes);
    jb_kint(b, "largest_batch", ws.largest);
    jb_kint(b, "other", ws.calls);
    jb_end_obj(b);
    jb_key(b, "limits");
    jb_obj(b);
    jb_kint(b, "max_query", srv->cfg.max_query);
    jb_kint(b, "max_body", (int64_t)srv->cfg.max_body);
    jb_kint(b, "max_json", (int64_t)srv->cfg.max_json);
    jb_end_obj(b);
}

enum MHD_Result api_status(request *r)
{
    server *srv = r->srv;
    json_buf b = {0};
    jb_reset(&b);
    jb_obj(&b);
    write_server(&b, srv);
    jb_key(&b, "collections");
    jb_arr(&b);
    for (int i = 0; i < srv->n_colls; i++) {
        reader *rd = req_reader(r, &srv->colls[i]);
        if (!rd) {
            jb_free(&b);
            return MHD_YES;
        }
        write_collection(&b, &srv->colls[i], rd);
        served_release(rd);
    }
    jb_end_arr(&b);
    jb_end_obj(&b);
    enum MHD_Result ok = reply_json(r, 200, &b);
    jb_free(&b);
    return ok;
}

/* ---- worklist ------------------------------------------------------------------ */

static void write_study(json_buf *b, int rank, const worklist_study *s)
{
    jb_obj(b);
    jb_kint(b, "rank", rank);
    jb_kstr(b, "study_uid", s->study_uid);
    jb_kstr(b, "accession", s->accession);
    jb_kstr(b, "modality", s->modality);
    jb_kstr(b, "study_date", s->study_date);
    jb_knum(b, "score_max", s->score_max);
    jb_knum(b, "score_topk_mean", s->score_topk_mean);
    jb_kint(b, "images", s->images);
    jb_kint(b, "series", s->series);
    jb_kstr(b, "best_series_uid", s->best_series_uid);
    jb_kint(b, "best_image_id", s->best_image_id);
    jb_kstr(b, "window", s->window);
    jb_end_obj(b);
}

static int write_worklist(request *r, reader *rd, const char *text, int n,
                          char *err)
{
    clip_model *m = session_model(rd->s);
    worklist_study *w = NULL;
    int rows = 0;
    worklist_options wo = {.max_studies = n};
    int rc = worklist_for_query(session_collection(rd->s), rd->qv,
                                clip_embed_dim(m), &wo, &w, &rows, err);
    char when[32];
    worklist_time_now(when);
    json_buf *b = &rd->out;
    jb_obj(b);
    jb_kstr(b, "note", WORKLIST_NOTE);
    jb_kstr(b, "query", text);
    jb_kstr(b, "model", clip_model_name(m));
    jb_kstr(b, "time", when);
    jb_key(b, "studies");
    jb_arr(b);
    for (int i = 0; !rc && i < rows; i++) write_study(b, i + 1, &w[i]);
    jb_end_arr(b);
    jb_end_obj(b);
    free(w);
    (void)r;
    return rc;
}

enum MHD_Result api_worklist(request *r)
{
    const char *q = req_arg(r, "q");
    int n, which;
    if (req_int_arg(r, "n", 50, 1, 1000, &n) ||
        req_int_arg(r, "collection", 0, 0, 1 << 20, &which))
        return MHD_YES;
    if (!q || !*q)
        return reply_error(r, 400, "give q: what to rank studies by");
    if ((int)strlen(q) > r->srv->cfg.max_query)
        return reply_error(r, 400, "the query is too long");
    char err[VLM_ERR_MAX] = "", text[1100];
    query qq;
    if (query_parse_ids(q, &qq, err)) return reply_error(r, 400, "%s", err);
    served *sv = req_collection(r, which);
    if (sv && !atomic_load(&sv->dicom)) {
        query_free(&qq);
        return reply_error(r, 400,
                           "%s holds no DICOM images: worklists rank "
                           "DICOM studies",
                           sv->name);
    }
    query_vectors qv;
    int rc = sv ? query_vectors_encode(r->srv, &qq, &qv, err) : VLM_OK;
    reader *rd = sv && !rc ? req_reader(r, sv) : NULL;
    enum MHD_Result ok = MHD_YES;
    if (sv && rc) ok = reply_error(r, http_status_for(rc), "%s", err);
    if (rd) {
        rc = reader_embed(rd, &qv, NULL, err);
        query_format(&qq, text, sizeof text);
        if (!rc) rc = write_worklist(r, rd, text, n, err);
        ok = rc ? reply_error(r, http_status_for(rc), "%s", err)
                : reply_json(r, 200, &rd->out);
        served_release(rd);
    }
    if (sv) query_vectors_free(&qv);
    query_free(&qq);
    return ok;
}
