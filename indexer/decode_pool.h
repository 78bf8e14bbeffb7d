/*
 * decode_pool.h — worker threads that turn file paths into model input.
 *
 * Each job: read the whole file once (bounded size), hash it (XXH3-128, the
 * content hash that recognises moved files), ask the caller whether the hash
 * makes decoding unnecessary, sniff + decode + EXIF-orient + preprocess to
 * planar floats.  Results come back in completion order through a bounded
 * queue, so memory stays at about `queue_cap` decoded images however large
 * the folder is, and decoding overlaps with the caller's batched encoding.
 */
#ifndef VLM_DECODE_POOL_H
#define VLM_DECODE_POOL_H

#include <stdint.h>

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
    const char *format; /* "jpeg", "png", ..., or the extra decoder's */
    int width, height;  /* after orientation */
    float *pixels;      /* 3 x S x S, owned by the result */
    void *extra_data;   /* from the extra decoder, or NULL */
    void (*extra_free)(void *);
    char err[VLM_ERR_MAX];
} decode_result;

/* Called from worker threads with the content hash; return non-zero to skip
 * decoding (e.g. the hash belongs to a moved file).  Must be thread-safe. */
typedef int (*decode_skip_fn)(const char *hash, void *user);

/* Optional extra decoder tried before the built-in image formats (DICOM):
 * return VLM_OK and fill out/info, VLM_EUNSUPPORTED to fall through, or an
 * error status with err.  It may attach data for the caller (e.g. DICOM
 * header fields) to *data; the result frees it with decode_pool_options's
 * extra_free. */
typedef int (*decode_extra_fn)(const void *bytes, size_t len, const char *path,
                               img_rgb *out, img_info *info, void **data,
                               void *user, char *err);

typedef struct decode_pool_options {
    int threads;   /* workers; 0 = number of cores */
    int queue_cap; /* results held at most; 0 = 4 x threads */
    img_prep_params prep;
    int exact;              /* 1: full-resolution JPEG decode */
    uint64_t max_pixels;    /* 0 = IMG_DEFAULT_MAX_PIXELS */
    int64_t max_file_bytes; /* 0 = 1 GiB */
    decode_skip_fn skip;
    decode_extra_fn extra;
    void *extra_user;           /* passed to extra */
    void (*extra_free)(void *); /* frees what extra attached (may be NULL) */
    const char *extra_format;   /* format name of its results, e.g. "dicom" */
    void *user;                 /* passed to skip */
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

/* True for names whose extension claims an image format we read. */
int decode_name_claims_image(const char *path);

#endif
