/*
 * collection_derived.c — rows derived from images: zero-shot
 * classification results, captions (kept in FTS5 by triggers, matched by
 * words) and de-identified DICOM header fields.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

typedef struct {
    const char *hash, *labels_json;
    int64_t id;
} labelset_args;

static int labelset_op(collection *c, void *ud, char *err)
{
    labelset_args *a = ud;
    sqlite3_stmt *st = coll_stmt(c,
                                 "INSERT INTO labelsets (hash, labels, "
                                 "created_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT (hash) DO NOTHING",
                                 err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, a->hash);
    coll_bind_text(st, 2, a->labels_json);
    sqlite3_bind_int64(st, 3, coll_now());
    int rc = coll_step_done(c, st, "cannot store a label set", err);
    if (rc != VLM_OK) return rc;
    st = coll_stmt(c, "SELECT id FROM labelsets WHERE hash = ?", err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, a->hash);
    rc = sqlite3_step(st);
    a->id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW
               ? VLM_OK
               : coll_sqlite_err(c, rc, "cannot store a label set", err);
}

int collection_put_labelset(collection *c, const char *hash,
                            const char *labels_json, int64_t *id, char *err)
{
    if (!hash || !labels_json || !id) {
        vlm_set_err(err, "label set: hash, labels and id are required");
        return VLM_EINVAL;
    }
    labelset_args a = {hash, labels_json, 0};
    int rc = coll_atomic(c, labelset_op, &a, err);
    *id = a.id;
    return rc;
}

int collection_put_classification(collection *c,
                                  const collection_classification *cl,
                                  char *err)
{
    if (!cl || cl->labelset_id <= 0 || !cl->top_label || !cl->probs ||
        cl->n_probs <= 0 || !cl->model_id) {
        vlm_set_err(err, "classification: every field is required");
        return VLM_EINVAL;
    }
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT OR REPLACE INTO classifications (image_id, labelset_id, "
        "  top_label, top_prob, probs, model_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, cl->image_id);
    sqlite3_bind_int64(st, 2, cl->labelset_id);
    coll_bind_text(st, 3, cl->top_label);
    sqlite3_bind_double(st, 4, cl->top_prob);
    /* float32 in host order; only little-endian hosts are built (see
     * collection_images.c), so this is the documented LE format. */
    sqlite3_bind_blob(st, 5, cl->probs, cl->n_probs * (int)sizeof(float),
                      SQLITE_STATIC);
    coll_bind_text(st, 6, cl->model_id);
    sqlite3_bind_int64(st, 7, coll_now());
    return coll_step_done(c, st, "cannot store a classification", err);
}

int collection_put_caption(collection *c, int64_t image_id, const char *model,
                           const char *prompt, const char *text, char *err)
{
    if (!model || !prompt || !text) {
        vlm_set_err(err, "caption: model, prompt and text are required");
        return VLM_EINVAL;
    }
    /* Upsert (not REPLACE) so the FTS update trigger sees the old text. */
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT INTO captions (image_id, model, prompt, text, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (image_id, model, prompt) "
        "DO UPDATE SET text = excluded.text, created_at = excluded.created_at",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, image_id);
    coll_bind_text(st, 2, model);
    coll_bind_text(st, 3, prompt);
    coll_bind_text(st, 4, text);
    sqlite3_bind_int64(st, 5, coll_now());
    return coll_step_done(c, st, "cannot store a caption", err);
}

int collection_put_dicom(collection *c, const collection_dicom *d, char *err)
{
    if (!d) {
        vlm_set_err(err, "dicom: no fields given");
        return VLM_EINVAL;
    }
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT OR REPLACE INTO dicom (image_id, study_uid, series_uid, "
        "  sop_uid, accession, modality, body_part, study_date, "
        "  series_description, instance_number, \"window\") "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        err);
    if (!st) return VLM_EIO;
    const char *text[] = {d->study_uid,  d->series_uid,        d->sop_uid,
                          d->accession,  d->modality,          d->body_part,
                          d->study_date, d->series_description};
    sqlite3_bind_int64(st, 1, d->image_id);
    for (int i = 0; i < 8; i++) coll_bind_text(st, 2 + i, text[i]);
    sqlite3_bind_int(st, 10, d->instance_number);
    coll_bind_text(st, 11, d->window);
    return coll_step_done(c, st, "cannot store DICOM fields", err);
}

int collection_get_caption(collection *c, int64_t image_id, const char *model,
                           const char *prompt, char **text, char *err)
{
    *text = NULL;
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT text FROM captions WHERE image_id = ? "
                                 "AND model = ? AND prompt = ?",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, image_id);
    coll_bind_text(st, 2, model);
    coll_bind_text(st, 3, prompt);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *text = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && !*text) {
        vlm_set_err(err, "out of memory reading a caption");
        return VLM_ENOMEM;
    }
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot read a caption", err);
    vlm_set_err(err, "image %lld has no caption for this model and prompt",
                (long long)image_id);
    return VLM_ENOTFOUND;
}

/* "red flowers!" -> "\"red\" OR \"flowers\"": plain words only, so user
 * text can never be FTS5 syntax.  malloc'ed; "" when there is no word. */
static char *fts_any_word(const char *q)
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

/* Best first; an image with several captions is kept once, at its best
 * (bm25() cannot be aggregated in SQL). */
static int collect_matches(collection *c, sqlite3_stmt *st, int k,
                           collection_caption_match *out, int *n, char *err)
{
    int rc = SQLITE_DONE;
    while (*n < k && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        collection_caption_match m = {sqlite3_column_int64(st, 0),
                                      sqlite3_column_double(st, 1)};
        bool seen = false;
        for (int i = 0; i < *n && !seen; i++)
            seen = out[i].image_id == m.image_id;
        if (!seen) out[(*n)++] = m;
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return VLM_OK;
    return coll_sqlite_err(c, rc, "caption search", err);
}

int collection_match_captions(collection *c, const char *words, int k,
                              collection_caption_match **out, int *n, char *err)
{
    *out = NULL;
    *n = 0;
    char *fq = fts_any_word(words);
    if (fq && !*fq) {
        free(fq);
        return VLM_OK;
    }
    sqlite3_stmt *st = coll_stmt(
        c,
        "SELECT captions.image_id, bm25(captions_fts) FROM captions_fts "
        "JOIN captions ON captions.id = captions_fts.rowid "
        "WHERE captions_fts MATCH ? ORDER BY 2",
        err);
    *out = malloc((size_t)(k > 0 ? k : 1) * sizeof **out);
    int rc = !fq || !*out ? (vlm_set_err(err, "out of memory"), VLM_ENOMEM)
             : !st        ? VLM_EIO
                          : VLM_OK;
    if (rc == VLM_OK) {
        sqlite3_bind_text(st, 1, fq, -1, SQLITE_TRANSIENT);
        rc = collect_matches(c, st, k, *out, n, err);
        sqlite3_reset(st);
    }
    free(fq);
    if (rc != VLM_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static const char *text_or_empty(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

#define DICOM_COLUMNS                                              \
    "SELECT image_id, study_uid, series_uid, sop_uid, accession, " \
    "modality, body_part, study_date, series_description, "        \
    "instance_number, \"window\" FROM dicom "

static collection_dicom dicom_row(sqlite3_stmt *st)
{
    return (collection_dicom){
        .image_id = sqlite3_column_int64(st, 0),
        .study_uid = text_or_empty(st, 1),
        .series_uid = text_or_empty(st, 2),
        .sop_uid = text_or_empty(st, 3),
        .accession = text_or_empty(st, 4),
        .modality = text_or_empty(st, 5),
        .body_part = text_or_empty(st, 6),
        .study_date = text_or_empty(st, 7),
        .series_description = text_or_empty(st, 8),
        .instance_number = sqlite3_column_int(st, 9),
        .window = text_or_empty(st, 10),
    };
}

int collection_for_each_dicom(collection *c, collection_dicom_cb cb, void *ud,
                              char *err)
{
    sqlite3_stmt *st = coll_stmt(c, DICOM_COLUMNS "ORDER BY image_id", err);
    if (!st) return VLM_EIO;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        collection_dicom d = dicom_row(st);
        stop = cb(ud, &d);
    }
    sqlite3_reset(st);
    if (stop || rc == SQLITE_DONE) return stop;
    return coll_sqlite_err(c, rc, "cannot read DICOM fields", err);
}

int collection_get_dicom(collection *c, int64_t image_id,
                         collection_dicom_cb cb, void *ud, char *err)
{
    sqlite3_stmt *st = coll_stmt(c, DICOM_COLUMNS "WHERE image_id = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, image_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        collection_dicom d = dicom_row(st);
        cb(ud, &d);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot read DICOM fields", err);
    vlm_set_err(err, "image %lld has no DICOM fields", (long long)image_id);
    return VLM_ENOTFOUND;
}
