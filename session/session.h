/*
 * session.h — a collection opened together with the model it was built
 * with: the one object the CLIs, the coming server and the tests open.
 *
 *   session_config cfg = session_config_default();
 *   cfg.collection = dir;  cfg.parts = CLIP_PART_TEXT;
 *   cfg.index = SESSION_INDEX_REQUIRED;
 *   session *s;
 *   if (session_open(&cfg, &s, err)) ...
 *   search_embed_query(session_model(s), &q, qv, err);
 *   search_run(session_collection(s), session_index(s), qv, &so, ...);
 *   session_close(s);
 *
 * session_open() does, in one call: find the collection folder (the given
 * one, else $VLMINDEX_COLLECTION, else the XDG default), open it (a writing
 * session creates it, private: 0700/0600, since paths and DICOM fields are
 * private), open its vector index, resolve the CLIP checkpoint (see
 * session_models.h; a writing session may download the default model),
 * load the parts asked for with the session's threads and precision, and
 * bind it: the collection records the model on first use and refuses
 * another one after that.  A writing session also records the model folder,
 * so later commands find it without --model.
 *
 * Long-lived processes: session_share() opens another collection (or a
 * second handle on the same one, for another thread) that uses the loaded
 * model of an existing session instead of loading its own.  Each session's
 * collection and index belong to one thread at a time; encoding calls on
 * the shared model must hold session_model_lock() (the indexer takes it
 * when given as indexer_options.model_lock; a searching thread takes it
 * around search_embed_query), so a search and an add can run at once
 * (SQLite WAL lets their transactions overlap).  session_refresh() lets a long-lived
 * reader's index catch up with batches another handle committed.
 *
 * Writers: a session opened SESSION_WRITE or SESSION_MODIFY holds the
 * collection's writer lock (session_lock.h) from before the database is
 * opened until session_close(), so every writer is alone by construction
 * (a second one waits, or fails with VLM_EBUSY when cfg.no_wait).
 * SESSION_READ never takes it, and opens the collection read-only when
 * this process may not write it (then a rebuilt vector index is not
 * saved).
 */
#ifndef VLM_SESSION_H
#define VLM_SESSION_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "model/clip/clip.h"
#include "model/core/vlm_error.h"
#include "model/llava/llava.h"
#include "schema/collection.h"
#include "schema/vector_index.h"
#include "session/session_models.h"

typedef enum session_access {
    SESSION_NO_COLLECTION, /* a model only (embed, caption one image) */
    SESSION_READ,          /* an existing collection; read-only if it must */
    SESSION_WRITE,         /* created when missing; records the model folder;
                              writer lock */
    SESSION_MODIFY,        /* an existing collection, changed (rm, reset,
                              repair, classify); writer lock */
} session_access;

typedef enum session_index_mode {
    SESSION_NO_INDEX,       /* do not open the vector index */
    SESSION_INDEX_IF_BOUND, /* open it when the collection has a model */
    SESSION_INDEX_REQUIRED, /* an empty collection is an error (searches) */
} session_index_mode;

typedef struct session_config {
    const char *collection; /* folder; NULL = collection_default_dir() */
    session_access access;
    session_index_mode index;
    int parts;               /* CLIP_PART_*; 0 = no CLIP model */
    const char *model;       /* --model DIR|NAME; NULL = resolve */
    const char *tokenizer;   /* --tokenizer DIR; NULL = the checkpoint */
    int threads;             /* 0 = all cores */
    vlm_precision precision; /* CLIP weights; a decoder loads BF16 when
                                this is BF16, else F32 */
    bool offline;            /* never download */
    /* The vector index's recall/latency trade (vector_index_options):
     * IVF lists probed and candidates re-scored per hit; 0 = defaults. */
    int nprobe, refine;
    bool fetch_default; /* download the default model if none is
                                installed (what `vlmindex add` does) */
    session_fetch_hooks fetch;
    /* Writers (WRITE, MODIFY): the writer lock. */
    bool no_wait;                  /* another writer: VLM_EBUSY, no wait */
    volatile sig_atomic_t *cancel; /* stops waiting for the lock */
    const char *writer;            /* shown to others, e.g. "vlmindex add" */
    /* Called once when this writer starts waiting for another (holder
     * describes it); may be NULL. */
    void (*lock_waiting)(void *user, const char *dir, const char *holder);
    void *lock_user;
} session_config;

session_config session_config_default(void);

typedef struct session session;

int session_open(const session_config *cfg, session **out, char *err);

/* Opens cfg's collection with `owner`'s model (cfg->parts must be among
 * the owner's; cfg->model is ignored).  `owner` must outlive the result.
 * A writing share of the collection whose writer lock the owner holds
 * works under the owner's lock (flock would refuse a second one even in
 * this process); any other writing share takes the lock itself. */
int session_share(session *owner, const session_config *cfg, session **out,
                  char *err);

/* Opens another collection for a search over several at once (shards
 * not merged): read-only, its vector index required, `owner`'s model (and
 * its threads, precision).  Its collection must be bound to the same
 * model as owner's, or vectors would not be comparable: VLM_EMISMATCH
 * naming both collections and both models.  `owner` must outlive it. */
int session_open_also(session *owner, const char *dir, session **out,
                      char *err);

void session_close(session *s); /* NULL-safe */

collection *session_collection(session *s);      /* NULL without one */
vector_index *session_index(session *s);         /* NULL when not opened */
clip_model *session_model(session *s);           /* NULL when parts == 0 */
const char *session_model_dir(const session *s); /* "" without a model */
const session_config *session_get_config(const session *s);

/* Held around every encoding call on session_model() when several threads
 * share it (see above); the owner's mutex for a shared session. */
pthread_mutex_t *session_model_lock(session *s);

/* The vector index catches up with what other handles committed. */
int session_refresh(session *s, char *err);

/* Loads a LLaVA checkpoint with the session's threads and precision. */
int session_load_decoder(session *s, const char *dir, llava_model **out,
                         char *err);

#endif
