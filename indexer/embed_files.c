#include "indexer/embed_files.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexer/decode_pool.h"
#include "indexer/excludes.h"
#include "indexer/walk.h"

#define DEFAULT_BATCH 16

typedef struct job {
    const embed_files_options *o;
    clip_model *m;
    decode_pool *pool;
    int batch, dims;
    size_t per;              /* floats per image */
    float *pixels, *embeds;  /* batch x per, batch x dims */
    decode_result **pending; /* decoded, waiting for the forward pass */
    int n_pending;
    int64_t submitted, done;
    char *err;
} job;

/* Tags: files named on the command line are negative (a file that is no
 * image is then a failure, not a folder's other file). */
static int submit_tagged(job *j, const walk_file *f, int64_t tag)
{
    int rc = decode_pool_submit(j->pool, tag, f->path, f->size, f->mtime_ns);
    if (!rc) j->submitted++;
    return rc;
}

static int submit(const walk_file *f, void *user)
{
    job *j = user;
    return submit_tagged(j, f, j->submitted);
}

static int submit_named(const walk_file *f, void *user)
{
    job *j = user;
    return submit_tagged(j, f, -1);
}

/* Files as given; folders walked with the default excludes. */
static int submit_paths(job *j, const char *const *paths, int n)
{
    exclude_set ex = {(char **)excludes_defaults, 0};
    while (excludes_defaults[ex.n]) ex.n++;
    walk_options wo = {.excludes = (const char *const *)ex.globs,
                       .n_excludes = ex.n};
    int rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++) {
        struct stat st;
        int named = stat(paths[i], &st) == 0 && S_ISREG(st.st_mode);
        rc = walk_tree(paths[i], &wo, named ? submit_named : submit, j, j->err);
    }
    return rc;
}

/* One forward pass over the pending images, then their callbacks. */
static int flush(job *j)
{
    for (int i = 0; i < j->n_pending; i++)
        memcpy(j->pixels + (size_t)i * j->per, j->pending[i]->pixels,
               j->per * sizeof(float));
    int rc = j->n_pending
                 ? clip_encode_images(j->m, j->pixels, j->n_pending, j->embeds,
                                      NULL, NULL, NULL, j->err)
                 : VLM_OK;
    for (int i = 0; i < j->n_pending; i++) {
        if (!rc && j->o->on_vector &&
            j->o->on_vector(j->o->user, j->pending[i]->path,
                            j->embeds + (size_t)i * j->dims))
            rc = VLM_EINTERRUPTED;
        if (!rc) j->done++;
        decode_result_free(j->pending[i]);
    }
    j->n_pending = 0;
    return rc;
}

static int take(job *j, decode_result *r)
{
    if (r->status == DECODE_OK) {
        j->pending[j->n_pending++] = r;
        return j->n_pending == j->batch ? flush(j) : VLM_OK;
    }
    int named = r->tag < 0;
    if (r->status == DECODE_NOT_IMAGE && named)
        vlm_set_err(r->err, "%s: not an image", r->path);
    if ((r->status == DECODE_FAILED || (named && r->status != DECODE_OK)) &&
        j->o->on_failure)
        j->o->on_failure(j->o->user, r->path, r->err, named);
    decode_result_free(r); /* not an image: a folder's other files */
    return VLM_OK;
}

static int drain(job *j)
{
    int rc = VLM_OK;
    decode_result *r;
    decode_pool_finish(j->pool);
    while (!rc && (r = decode_pool_next(j->pool))) {
        rc = take(j, r);
        if (!rc && j->o->cancel && *j->o->cancel) rc = VLM_EINTERRUPTED;
    }
    if (!rc) rc = flush(j);
    if (rc == VLM_EINTERRUPTED) vlm_set_err(j->err, "interrupted");
    return rc;
}

static int start(job *j, clip_model *m, const embed_files_options *o)
{
    j->m = m;
    j->o = o;
    j->batch = o->batch_size > 0 ? o->batch_size : DEFAULT_BATCH;
    j->dims = clip_embed_dim(m);
    const img_prep_params *pp = clip_prep_params(m);
    j->per = 3 * (size_t)pp->crop_w * (size_t)pp->crop_h;
    j->pixels = malloc((size_t)j->batch * j->per * sizeof(float));
    j->embeds = malloc((size_t)j->batch * (size_t)j->dims * sizeof(float));
    j->pending = calloc((size_t)j->batch, sizeof *j->pending);
    decode_pool_options po = {.threads = o->decode_threads,
                              .queue_cap = 2 * j->batch,
                              .prep = *pp,
                              .exact = 1}; /* what `embed --image` did */
    if (!j->pixels || !j->embeds || !j->pending) {
        vlm_set_err(j->err, "embed: out of memory");
        return VLM_ENOMEM;
    }
    return decode_pool_create(&po, &j->pool, j->err);
}

int embed_files(clip_model *m, const char *const *paths, int n,
                const embed_files_options *o, int64_t *n_done, char *err)
{
    job j = {.err = err};
    int rc = start(&j, m, o);
    if (!rc) rc = submit_paths(&j, paths, n);
    if (!rc) rc = drain(&j);
    for (int i = 0; i < j.n_pending; i++) decode_result_free(j.pending[i]);
    decode_pool_destroy(j.pool);
    free(j.pixels);
    free(j.embeds);
    free(j.pending);
    *n_done = j.done;
    return rc;
}
