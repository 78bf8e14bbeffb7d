/*
 * ingest.h — the one batch writer every image source feeds.
 *
 *   source (folder walk + decode pool, DICOMweb, later a watch feed, a
 *   shard slice, DIMSE) --items--> ingest_run():
 *     batch -> encode the pixels -> BEGIN -> write each item -> COMMIT
 *       -> vector index sync -> progress -> periodic index save
 *     cancel between items; the final index save at the end.
 *
 * A source only decides *what* happens to an item; every write to the
 * collection happens here, inside the batch transaction, in the order the
 * source yielded the items.  So `kill -9` at any moment loses at most the
 * batch in flight, and a re-run finishes the job.  A new source implements
 * ingest_source_ops and needs no change here.
 */
#ifndef VLM_INGEST_H
#define VLM_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "indexer/indexer.h"
#include "model/dicom/dicom.h"
#include "model/image/image.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

/* ---- items ---------------------------------------------------------------- */

typedef enum ingest_kind {
    INGEST_EMBED,     /* encode `pixels`, write the row with its vector */
    INGEST_FAIL,      /* record that the item could not be indexed */
    INGEST_REUSE,     /* the bytes (content_hash) are embedded already:
                         rename the row whose file vanished, else copy the
                         vector of a row holding them; if neither exists,
                         the source's retry() gets the item back */
    INGEST_NOT_IMAGE, /* nothing to write; counted as not an image */
    INGEST_DELETE,    /* row `delete_id` is gone (its file vanished) */
} ingest_kind;

typedef struct ingest_item {
    ingest_kind kind;
    collection_image_info info; /* the row to write (EMBED, FAIL, REUSE) */
    int64_t existing_id;        /* row under this key before, 0 if new */
    const float *pixels;        /* EMBED: 3 planes of the encoder's crop */
    const dicom_header *dicom;  /* EMBED: DICOM fields to store, or NULL */
    const char *error;          /* FAIL: why, naming the item */
    int64_t delete_id;          /* DELETE */
} ingest_item;

/* ---- sources -------------------------------------------------------------- */

/* What a source may use while it runs.  It reads the collection (lookups
 * that decide an item's kind) but never writes to it. */
typedef struct ingest_context {
    collection *c;
    const img_prep_params *prep; /* how EMBED pixels must be prepared */
    const indexer_options *o;    /* on_failure for problems beside items */
    indexer_summary *s;          /* sources count seen / unchanged */
} ingest_context;

enum {
    INGEST_END = 0,   /* no more items */
    INGEST_ITEM = 1,  /* *item filled */
    INGEST_FLUSH = 2, /* commit what is buffered before asking again */
};

typedef struct ingest_source_ops {
    /* Called once before the first next(): walk, connect, plan. */
    int (*start)(void *self, const ingest_context *ctx, char *err);
    /* INGEST_ITEM, INGEST_FLUSH, INGEST_END, or a VLM_E* error (<0).  May
     * block.  The item stays valid until release(). */
    int (*next)(void *self, ingest_item **item, char *err);
    /* A REUSE item found no row to reuse: the source takes the item back
     * (the writer does not release it), decodes it after all and yields
     * it again later — next() is called again even after INGEST_END when
     * the last flush gave an item back.  NULL when the source never yields
     * REUSE. */
    int (*retry)(void *self, ingest_item *item, char *err);
    void (*release)(void *self, ingest_item *item);
    /* Items expected so far (may grow as the source learns more). */
    int64_t (*total)(void *self);
    void (*destroy)(void *self);
} ingest_source_ops;

typedef struct ingest_source {
    const ingest_source_ops *ops;
    void *self;
} ingest_source;

void ingest_source_destroy(ingest_source *src); /* NULL-safe */

/* ---- the encoder ---------------------------------------------------------- */

typedef struct ingest_encoder {
    /* the binding the collection records (family may be NULL) */
    const char *name, *family, *model_id;
    int dims;
    img_prep_params prep;
    /* n images of pixels (planar, prep's crop) -> n x dims raw vectors. */
    int (*encode)(void *self, const float *pixels, int n, float *embeds,
                  char *err);
    void *self;
} ingest_encoder;

/* The vision tower of a loaded CLIP model as an encoder. */
ingest_encoder ingest_clip_encoder(clip_model *m);

/* ---- the writer ----------------------------------------------------------- */

/* Binds the encoder's model, starts the source and writes every item it
 * yields in batches of o->batch_size embedded images (or 256 items of any
 * kind), one transaction per batch; vectors are L2-normalised here, once.
 * Zeroes *s first.  VLM_EINTERRUPTED when o->cancel was set (committed
 * batches are kept). */
int ingest_run(collection *c, vector_index *vi, const ingest_encoder *enc,
               ingest_source *src, const indexer_options *o, indexer_summary *s,
               char *err);

/* Ends a batch transaction: commit when rc is VLM_OK (then let the vector
 * index catch up), else roll back.  Returns the first failure. */
int ingest_finish_batch(collection *c, vector_index *vi, int rc, char *err);

#endif
