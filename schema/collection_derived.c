/*
 * collection_derived.c — rows derived from images: zero-shot
 * classification results, captions (kept in FTS5 by triggers) and
 * de-identified DICOM header fields.
 */
#include "schema/collection_internal.h"

int collection_put_classification(collection *c,
                                  const collection_classification *cl,
                                  char *err)
{
    if (!cl || !cl->labelset_hash || !cl->labels_json || !cl->top_label ||
        !cl->probs_json || !cl->model_id) {
        vlm_set_err(err, "classification: every field is required");
        return VLM_EINVAL;
    }
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT OR REPLACE INTO classifications (image_id, labelset_hash, "
        "  labels, top_label, top_prob, probs, model_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, cl->image_id);
    coll_bind_text(st, 2, cl->labelset_hash);
    coll_bind_text(st, 3, cl->labels_json);
    coll_bind_text(st, 4, cl->top_label);
    sqlite3_bind_double(st, 5, cl->top_prob);
    coll_bind_text(st, 6, cl->probs_json);
    coll_bind_text(st, 7, cl->model_id);
    sqlite3_bind_int64(st, 8, coll_now());
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
