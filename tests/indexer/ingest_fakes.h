/*
 * ingest_fakes.h — a fake encoder and a scripted fake source for testing
 * the batch writer (indexer/ingest.h) without a model or files.
 *
 * The fake encoder takes 2x2 crops (12 floats per image) and returns the
 * first FAKE_DIMS floats of each image + 1 as its vector, so a test picks
 * every vector; it records the size of every encode call and can be told
 * to fail.  The fake source yields a script of items (and flush requests),
 * and records what the collection had committed at each next() call.
 */
#ifndef VLM_TESTS_INGEST_FAKES_H
#define VLM_TESTS_INGEST_FAKES_H

#include <signal.h>

#include "indexer/ingest.h"

#define FAKE_DIMS           8
#define FAKE_PER            12 /* 3 x 2 x 2 */
#define FAKE_MAX            600
#define FAKE_FLUSH          (-1) /* a script step that asks for a commit */
#define FAKE_CANCEL_AT_NONE (-1)

typedef struct fake_encoder {
    ingest_encoder enc;
    int calls, sizes[FAKE_MAX];
    int fail_on_call; /* 1-based call that fails; 0 = never */
} fake_encoder;

void fake_encoder_init(fake_encoder *fe, const char *model_id);

typedef struct fake_step {
    int kind; /* ingest_kind, or FAKE_FLUSH */
    char path[64];
    char hash[33];
    int64_t existing_id, delete_id;
    float pixels[FAKE_PER];
} fake_step;

typedef struct fake_source {
    fake_step steps[FAKE_MAX];
    ingest_item items[FAKE_MAX];
    int n_steps, next, released, retried;
    int64_t committed_at[FAKE_MAX]; /* images committed when step i was
                                       asked for */
    int cancel_at;                  /* step index at which *cancel is set */
    volatile sig_atomic_t *cancel;
    int started;
    ingest_context ctx;
} fake_source;

void fake_source_init(fake_source *fs);
/* Appends a step; returns it for the test to fill further. */
fake_step *fake_add(fake_source *fs, int kind, const char *path);
/* An EMBED step whose vector will be (v, v, ..., v) + 1. */
fake_step *fake_add_embed(fake_source *fs, const char *path, float v);
ingest_source fake_source_as_source(fake_source *fs);

/* A fresh collection in dir with the fake model bound and its index. */
void fake_open_collection(const char *dir, collection **c, vector_index **vi);

/* Images committed (what another connection would see). */
int64_t fake_committed_images(const char *dir);

#endif
