/*
 * decode_pool.h — worker threads that turn file paths into model input.
 *
 * Each job: read the whole file once (bounded size), hash it (XXH3-128, the
 * content hash that recognises moved files), ask the caller whether the hash
 * makes decoding unnecessary, decode with media_decode() (photo formats and
 * DICOM, EXIF-oriented) and preprocess to planar floats.  Results come back in completion order through a bounded
 * queue, so memory stays at about `queue_cap` decoded images however large
 * the folder is, and decoding overlaps with the caller's batched encoding.
 */
#ifndef VLM_DECODE_POOL_H
#define VLM_DECODE_POOL_H

#include <stdint.h>

#include "media/media_decode.h"
#include "model/core/vlm_error.h"
#include "model/image/image.h"

typedef enum decode_status {
    DECODE_OK,        /* pixels filled */
    DECODE_FAILED,    /* err filled: unreadable, corrupt, too big... */
    DECODE_NOT_IMAGE, /* content is no image and the name does not claim one */
    DECODE_SKIPPED,   /* the caller's hash check said no decode is needed */
} decode_status;

typedef struct decode_result {
    int64_t tag; /* caller's tag from decode_pool_submit */
    char *path;
    int64_t size, mtime_ns;
    decode_status status;
    char hash[33]; /* hex XXH3-128 of the file bytes ("" if unread) */
    img_info info;
    const char *format;  /* "jpeg", "png", ..., "dicom" */
    int width, height;   /* the image's own size, upright (not the size
                            the JPEG fast path decoded it at) */
    float *pixels;       /* 3 x S x S, owned by the result */
    dicom_header *dicom; /* DICOM fields of a DICOM file, owned, or NULL */
    char err[VLM_ERR_MAX];
} decode_result;

/* Called from worker threads with the content hash; return non-zero to skip
 * decoding (e.g. the hash belongs to a moved file).  Must be thread-safe. */
typedef int (*decode_skip_fn)(const char *hash, void *user);

typedef struct decode_pool_options {
    int threads;   /* workers; 0 = number of cores */
    int queue_cap; /* results held at most; 0 = 4 x threads */
    img_prep_params prep;
    int exact;              /* 1: full-resolution JPEG decode */
    uint64_t max_pixels;    /* 0 = IMG_DEFAULT_MAX_PIXELS */
    int64_t max_file_bytes; /* 0 = MEDIA_MAX_FILE_BYTES */
    dicom_window window;    /* DICOM VOI window (kind DEFAULT = per modality) */
    decode_skip_fn skip;    /* may be NULL */
    void *user;             /* passed to skip */
} decode_pool_options;

typedef struct decode_pool decode_pool;

int decode_pool_create(const decode_pool_options *opts, decode_pool **out,
                       char *err);
/* Queue a file (blocks while the pool is full).  Copies path. */
int decode_pool_submit(decode_pool *p, int64_t tag, const char *path,
                       int64_t size, int64_t mtime_ns);
/* No more submissions: lets decode_pool_next return NULL when drained. */
void decode_pool_finish(decode_pool *p);
/* Next finished result (blocks); NULL once finished and drained. */
decode_result *decode_pool_next(decode_pool *p);
/* Number submitted but not yet returned by decode_pool_next. */
int decode_pool_pending(decode_pool *p);
void decode_result_free(decode_result *r);
/* Stops workers (pending jobs are dropped) and frees the pool. */
void decode_pool_destroy(decode_pool *p);

#endif
