#include "session/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "session/session_lock.h"

struct session {
    session_config cfg;
    collection *c;
    vector_index *vi;
    clip_model *m;
    session_lock *lock; /* writer lock (WRITE, MODIFY), NULL if borrowed */
    session *owner;     /* whose model this session uses; NULL = its own */
    pthread_mutex_t model_lock;
    char model_dir[SESSION_PATH_MAX];
    char collection_dir[SESSION_PATH_MAX];
};

session_config session_config_default(void)
{
    return (session_config){.access = SESSION_READ,
                            .index = SESSION_NO_INDEX,
                            .precision = VLM_PREC_F32};
}

/* ---- collection and index ------------------------------------------------ */

static bool is_writer(const session_config *cfg)
{
    return cfg->access == SESSION_WRITE || cfg->access == SESSION_MODIFY;
}

/* Whether `owner` holds the writer lock of the folder this session opens
 * (same device and inode). */
static bool owner_holds_lock(const session *s)
{
    const session *o = s->owner;
    struct stat a, b;
    return o && o->lock && stat(o->collection_dir, &a) == 0 &&
           stat(s->collection_dir, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* The writer lock, taken before the database is opened or created (the
 * folder of a new collection is made first: the lock file lives in it). */
static int take_writer_lock(session *s, char *err)
{
    const session_config *cfg = &s->cfg;
    struct stat st;
    int rc = cfg->access == SESSION_WRITE
                 ? collection_create_dir(s->collection_dir, true, err)
             : stat(s->collection_dir, &st) == 0 ? VLM_OK
                                                 : VLM_ENOTFOUND;
    if (rc || owner_holds_lock(s)) return rc;
    session_lock_options lo = {.no_wait = cfg->no_wait,
                               .cancel = cfg->cancel,
                               .what = cfg->writer,
                               .private_perms = cfg->access == SESSION_WRITE,
                               .waiting = cfg->lock_waiting,
                               .user = cfg->lock_user};
    return session_lock_take(s->collection_dir, &lo, &s->lock, err);
}

static int open_collection(session *s, char *err)
{
    const session_config *cfg = &s->cfg;
    int rc = VLM_OK;
    if (cfg->collection)
        snprintf(s->collection_dir, sizeof s->collection_dir, "%s",
                 cfg->collection);
    else
        rc = collection_default_dir(s->collection_dir, sizeof s->collection_dir,
                                    err);
    bool create = cfg->access == SESSION_WRITE;
    if (!rc && is_writer(cfg)) rc = take_writer_lock(s, err);
    collection_options co = {.create_if_missing = create,
                             .private_perms = create,
                             .fallback_read_only = !is_writer(cfg)};
    if (!rc) rc = collection_open(s->collection_dir, &co, &s->c, err);
    if (rc == VLM_ENOTFOUND && !create)
        vlm_set_err(err,
                    "no collection at %s: index some images first with "
                    "`vlmindex add DIR` (or pass --collection DIR)",
                    s->collection_dir);
    return rc;
}

static int open_index(session *s, char *err)
{
    collection_model cm;
    if (collection_get_model(s->c, &cm, NULL) != VLM_OK) {
        if (s->cfg.index != SESSION_INDEX_REQUIRED) return VLM_OK;
        vlm_set_err(err, "the collection is empty: index images first with "
                         "`vlmindex add DIR`");
        return VLM_ENOTFOUND;
    }
    /* A rebuilt index is saved, so the next command does not rebuild
     * (unless this process may not write the collection). */
    vector_index_options vo = {.save_after_rebuild =
                                   !collection_is_read_only(s->c, NULL),
                               .nprobe = s->cfg.nprobe,
                               .refine = s->cfg.refine};
    return vector_index_open(s->c, &vo, &s->vi, err);
}

/* ---- model ---------------------------------------------------------------- */

static int load_model(session *s, char *err)
{
    const session_config *cfg = &s->cfg;
    session_model_query q = {.model = cfg->model,
                             .c = s->c,
                             .fetch_default = cfg->fetch_default,
                             .offline = cfg->offline,
                             .fetch = &cfg->fetch};
    int rc = session_resolve_model(&q, s->model_dir, sizeof s->model_dir, err);
    if (rc) return rc;
    clip_options co = clip_options_default();
    co.parts = cfg->parts;
    co.threads = cfg->threads;
    co.precision = cfg->precision;
    co.tokenizer_dir = cfg->tokenizer;
    return clip_model_load(s->model_dir, &co, &s->m, err);
}

/* Records the model in the collection (first use) or verifies it.  A
 * collection made before the id covered the weights stored the legacy id:
 * it is accepted and rewritten (the legacy id cannot tell two checkpoints
 * of the same shapes apart, so this trusts that the weights are the ones
 * the collection was built with, as that version did). */
static int bind_model(session *s, char *err)
{
    clip_model *m = session_model(s);
    collection_model_binding b = {.name = clip_model_name(m),
                                  .family = clip_model_family(m),
                                  .dims = clip_embed_dim(m),
                                  .model_id = clip_model_id(m),
                                  .legacy_id = clip_model_legacy_id(m)};
    int rc = collection_bind(s->c, &b, err);
    if (!rc && s->cfg.access == SESSION_WRITE)
        rc = collection_meta_set(s->c, "model_dir", session_model_dir(s), err);
    return rc;
}

/* ---- opening -------------------------------------------------------------- */

/* Collection, then the model (its folder may come from the collection),
 * then the binding, then the index (a writing session's index is opened
 * after the binding, so a new collection has one). */
static int open_parts(session *s, char *err)
{
    const session_config *cfg = &s->cfg;
    bool has_coll = cfg->access != SESSION_NO_COLLECTION;
    bool index_first = cfg->access == SESSION_READ;
    int rc = has_coll ? open_collection(s, err) : VLM_OK;
    if (!rc && has_coll && index_first && cfg->index != SESSION_NO_INDEX)
        rc = open_index(s, err);
    if (!rc && cfg->parts && !s->owner) rc = load_model(s, err);
    if (!rc && cfg->parts && has_coll) rc = bind_model(s, err);
    if (!rc && has_coll && !index_first && cfg->index != SESSION_NO_INDEX)
        rc = open_index(s, err);
    return rc;
}

static int open_session(const session_config *cfg, session *owner,
                        session **out, char *err)
{
    *out = NULL;
    session *s = calloc(1, sizeof *s);
    if (!s) {
        vlm_set_err(err, "out of memory opening a session");
        return VLM_ENOMEM;
    }
    s->cfg = *cfg;
    s->owner = owner;
    pthread_mutex_init(&s->model_lock, NULL);
    int rc = open_parts(s, err);
    if (rc) {
        session_close(s);
        return rc;
    }
    *out = s;
    return VLM_OK;
}

int session_open(const session_config *cfg, session **out, char *err)
{
    return open_session(cfg, NULL, out, err);
}

int session_share(session *owner, const session_config *cfg, session **out,
                  char *err)
{
    while (owner->owner) owner = owner->owner;
    if (cfg->parts & ~(owner->m ? clip_model_parts(owner->m) : 0)) {
        vlm_set_err(err, "session_share: the shared model lacks a part this "
                         "session needs");
        return VLM_EINVAL;
    }
    return open_session(cfg, owner, out, err);
}

static int same_model(collection *a, collection *b, char *err)
{
    collection_model ma, mb;
    int rc = collection_get_model(a, &ma, err);
    if (!rc) rc = collection_get_model(b, &mb, err);
    if (rc || (ma.dims == mb.dims && !strcmp(ma.name, mb.name) &&
               !strcmp(ma.model_id, mb.model_id)))
        return rc;
    vlm_set_err(err,
                "%s was built with %s (%d dims, id %.12s) but %s with %s "
                "(%d dims, id %.12s): one search needs collections of one "
                "model",
                collection_dir(a), ma.name, ma.dims, ma.model_id,
                collection_dir(b), mb.name, mb.dims, mb.model_id);
    return VLM_EMISMATCH;
}

int session_open_also(session *owner, const char *dir, session **out, char *err)
{
    while (owner->owner) owner = owner->owner;
    session_config cfg = owner->cfg;
    cfg.collection = dir;
    cfg.access = SESSION_READ;
    cfg.index = SESSION_INDEX_REQUIRED;
    cfg.parts = 0; /* no binding: compared below, with a clearer message */
    *out = NULL;
    if (!owner->c) {
        vlm_set_err(err, "session_open_also: the first session has no "
                         "collection");
        return VLM_EINVAL;
    }
    session *s = NULL;
    int rc = open_session(&cfg, owner, &s, err);
    if (!rc) rc = same_model(owner->c, s->c, err);
    if (rc) {
        session_close(s);
        return rc;
    }
    *out = s;
    return VLM_OK;
}

void session_close(session *s)
{
    if (!s) return;
    vector_index_close(s->vi);
    clip_model_destroy(s->m);
    collection_close(s->c);
    session_lock_release(s->lock); /* after the last write */
    pthread_mutex_destroy(&s->model_lock);
    free(s);
}

/* ---- accessors ------------------------------------------------------------ */

collection *session_collection(session *s) { return s->c; }

vector_index *session_index(session *s) { return s->vi; }

clip_model *session_model(session *s) { return s->owner ? s->owner->m : s->m; }

const char *session_model_dir(const session *s)
{
    return s->owner ? s->owner->model_dir : s->model_dir;
}

const session_config *session_get_config(const session *s) { return &s->cfg; }

pthread_mutex_t *session_model_lock(session *s)
{
    return s->owner ? &s->owner->model_lock : &s->model_lock;
}

int session_refresh(session *s, char *err)
{
    if (!s->vi && s->c && s->cfg.index != SESSION_NO_INDEX)
        return open_index(s, err);
    return s->vi ? vector_index_sync(s->vi, err) : VLM_OK;
}

int session_load_decoder(session *s, const char *dir, llava_model **out,
                         char *err)
{
    llava_options lo = llava_options_default();
    lo.threads = s->cfg.threads;
    lo.precision =
        s->cfg.precision == VLM_PREC_BF16 ? VLM_PREC_BF16 : VLM_PREC_F32;
    return llava_load(dir, &lo, out, err);
}
