#include "query/captions.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer/image_source.h"
#include "indexer/walk.h"

int captions_get(collection *c, int64_t id, const char *model,
                 const char *prompt, char **text, char *err)
{
    sqlite3_stmt *st;
    *text = NULL;
    if (sqlite3_prepare_v2(
            collection_db(c),
            "SELECT text FROM captions WHERE image_id=?1 AND model=?2 "
            "AND prompt=?3",
            -1, &st, NULL) != SQLITE_OK) {
        vlm_set_err(err, "captions: %s", sqlite3_errmsg(collection_db(c)));
        return VLM_EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, prompt, -1, SQLITE_STATIC);
    int rc = VLM_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *text = strdup((const char *)sqlite3_column_text(st, 0));
        rc = *text ? VLM_OK : VLM_ENOMEM;
    }
    sqlite3_finalize(st);
    return rc;
}

/* The work list: (id, path) of ok rows under in_dir. */
typedef struct work_list {
    int64_t *ids;
    char **paths;
    size_t n;
} work_list;

static void work_list_free(work_list *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->paths[i]);
    free(t->ids);
    free(t->paths);
}

static int list_work(collection *c, const char *in_dir, work_list *t, char *err)
{
    char *abs = in_dir ? walk_abspath(in_dir) : NULL;
    collection_cursor *cur;
    int rc = collection_cursor_open(c, abs, COLLECTION_ROWS_OK, &cur, err);
    free(abs);
    if (rc) return rc;
    collection_image *row = malloc(sizeof *row);
    size_t cap = 0;
    memset(t, 0, sizeof *t);
    while (row && (rc = collection_cursor_step(cur, row, err)) == 1) {
        if (t->n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *ni = realloc(t->ids, cap * sizeof *ni);
            char **np = realloc(t->paths, cap * sizeof *np);
            if (ni) t->ids = ni;
            if (np) t->paths = np;
            if (!ni || !np) break;
        }
        t->ids[t->n] = row->id;
        t->paths[t->n++] = strdup(row->path);
    }
    collection_cursor_close(cur);
    free(row);
    return rc < 0 ? rc : VLM_OK;
}

static int caption_one(collection *c, llava_model *lm, const char *model_name,
                       const char *prompt, const captions_options *o,
                       int64_t id, const char *path, char **text, char *err)
{
    img_rgb im = {0};
    int rc = image_source_load(path, NULL, &im, err);
    if (!rc) rc = llava_caption(lm, &im, prompt, &o->gen, text, err);
    img_rgb_free(&im);
    if (!rc) rc = collection_put_caption(c, id, model_name, prompt, *text, err);
    return rc;
}

int captions_run(collection *c, llava_model *lm, const char *model_name,
                 const captions_options *o, captions_summary *s, char *err)
{
    const char *prompt = o->prompt ? o->prompt : LLAVA_DEFAULT_PROMPT;
    work_list t = {0};
    memset(s, 0, sizeof *s);
    int rc = list_work(c, o->in_dir, &t, err);
    for (size_t i = 0; !rc && i < t.n; i++) {
        char *text = NULL, e[VLM_ERR_MAX];
        if (o->cancel && *o->cancel) {
            rc = VLM_EINTERRUPTED;
            vlm_set_err(err, "interrupted: captions made so far are kept; run "
                             "again to continue");
            break;
        }
        if (!o->redo && captions_get(c, t.ids[i], model_name, prompt, &text,
                                     NULL) == VLM_OK) {
            free(text);
            s->skipped++;
            continue;
        }
        if (caption_one(c, lm, model_name, prompt, o, t.ids[i], t.paths[i],
                        &text, e)) {
            s->failed++;
            if (o->on_failure) o->on_failure(o->user, t.paths[i], e);
        } else {
            s->captioned++;
            if (o->on_caption)
                o->on_caption(o->user, (int64_t)i + 1, (int64_t)t.n, t.paths[i],
                              text);
        }
        free(text);
    }
    work_list_free(&t);
    return rc;
}

/* "red flowers!" -> "\"red\" OR \"flowers\"": plain words only, so user
 * text can never be FTS5 syntax. */
static char *fts_query(const char *q)
{
    size_t cap = 8 * strlen(q) + 16, k = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)q; *p;) {
        while (*p && !(isalnum(*p) || *p >= 0x80)) p++;
        if (!*p) break;
        if (k) k += (size_t)snprintf(out + k, cap - k, " OR ");
        out[k++] = '"';
        while (*p && (isalnum(*p) || *p >= 0x80)) out[k++] = (char)*p++;
        out[k++] = '"';
    }
    out[k] = 0;
    return out;
}

int captions_match(collection *c, const char *query, int k, caption_match **out,
                   int *n, char *err)
{
    *out = NULL;
    *n = 0;
    char *fq = fts_query(query);
    if (!fq) return VLM_ENOMEM;
    if (!*fq) {
        free(fq);
        return VLM_OK;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            collection_db(c),
            /* Best first; an image with several captions is
                            * kept once, at its best (bm25() cannot be
                            * aggregated in SQL). */
            "SELECT captions.image_id, bm25(captions_fts) FROM captions_fts "
            "JOIN captions ON captions.id = captions_fts.rowid "
            "WHERE captions_fts MATCH ?1 ORDER BY 2",
            -1, &st, NULL) != SQLITE_OK) {
        vlm_set_err(err, "captions: %s", sqlite3_errmsg(collection_db(c)));
        free(fq);
        return VLM_EIO;
    }
    sqlite3_bind_text(st, 1, fq, -1, SQLITE_STATIC);
    *out = malloc((size_t)(k > 0 ? k : 1) * sizeof **out);
    int step = SQLITE_DONE;
    while (*out && *n < k && (step = sqlite3_step(st)) == SQLITE_ROW) {
        caption_match m = {sqlite3_column_int64(st, 0),
                           sqlite3_column_double(st, 1)};
        int seen = 0;
        for (int i = 0; i < *n && !seen; i++) seen = (*out)[i].id == m.id;
        if (!seen) (*out)[(*n)++] = m;
    }
    int rc = !*out                                         ? VLM_ENOMEM
             : (step == SQLITE_ROW || step == SQLITE_DONE) ? VLM_OK
                                                           : VLM_EIO;
    if (rc == VLM_EIO)
        vlm_set_err(err, "caption search: %s",
                    sqlite3_errmsg(collection_db(c)));
    sqlite3_finalize(st);
    free(fq);
    return rc;
}
