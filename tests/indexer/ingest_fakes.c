#include "tests/indexer/ingest_fakes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static int fake_encode(void *self, const float *pixels, int n, float *embeds,
                       char *err)
{
    fake_encoder *fe = self;
    fe->sizes[fe->calls++] = n;
    if (fe->calls == fe->fail_on_call) {
        vlm_set_err(err, "fake encoder: failing call %d on purpose", fe->calls);
        return VLM_EIO;
    }
    for (int i = 0; i < n; i++)
        for (int d = 0; d < FAKE_DIMS; d++)
            embeds[i * FAKE_DIMS + d] = pixels[i * FAKE_PER + d] + 1.0f;
    return VLM_OK;
}

void fake_encoder_init(fake_encoder *fe, const char *model_id)
{
    memset(fe, 0, sizeof *fe);
    fe->enc = (ingest_encoder){
        .name = "fake",
        .model_id = model_id,
        .dims = FAKE_DIMS,
        .prep = {.shortest_edge = 2,
                 .crop_w = 2,
                 .crop_h = 2,
                 .do_center_crop = 1,
                 .mean = {0, 0, 0},
                 .std = {1, 1, 1},
                 .rescale = 1.0f / 255},
        .encode = fake_encode,
        .self = fe,
    };
}

void fake_source_init(fake_source *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->cancel_at = FAKE_CANCEL_AT_NONE;
}

fake_step *fake_add(fake_source *fs, int kind, const char *path)
{
    cr_assert_lt(fs->n_steps, FAKE_MAX);
    fake_step *st = &fs->steps[fs->n_steps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    snprintf(st->path, sizeof st->path, "%s", path ? path : "");
    return st;
}

fake_step *fake_add_embed(fake_source *fs, const char *path, float v)
{
    fake_step *st = fake_add(fs, INGEST_EMBED, path);
    for (int i = 0; i < FAKE_PER; i++) st->pixels[i] = v;
    return st;
}

static int fs_start(void *self, const ingest_context *ctx, char *err)
{
    (void)err;
    fake_source *fs = self;
    fs->ctx = *ctx;
    fs->started++;
    return VLM_OK;
}

static int fs_next(void *self, ingest_item **out, char *err)
{
    (void)err;
    fake_source *fs = self;
    if (fs->next == fs->n_steps) return INGEST_END;
    int i = fs->next++;
    collection_counts k;
    cr_assert_eq(collection_get_counts(fs->ctx.c, &k, NULL), VLM_OK);
    fs->committed_at[i] = k.images;
    if (i == fs->cancel_at) *fs->cancel = 1;
    const fake_step *st = &fs->steps[i];
    if (st->kind == FAKE_FLUSH) return INGEST_FLUSH;
    fs->items[i] = (ingest_item){
        .kind = (ingest_kind)st->kind,
        .info = {.path = st->path,
                 .root = "/fake",
                 .content_hash = st->hash,
                 .width = 2,
                 .height = 2,
                 .format = "fake"},
        .existing_id = st->existing_id,
        .pixels = st->pixels,
        .error = "fake failure: this item is broken",
        .delete_id = st->delete_id,
    };
    *out = &fs->items[i];
    return INGEST_ITEM;
}

/* A REUSE that found nothing comes back as an EMBED at the end. */
static int fs_retry(void *self, ingest_item *item, char *err)
{
    (void)err;
    fake_source *fs = self;
    const fake_step *st = &fs->steps[item - fs->items];
    fs->retried++;
    fake_step *again = fake_add_embed(fs, st->path, 0.5f);
    snprintf(again->hash, sizeof again->hash, "%s", st->hash);
    return VLM_OK;
}

static void fs_release(void *self, ingest_item *item)
{
    (void)item;
    ((fake_source *)self)->released++;
}

static int64_t fs_total(void *self)
{
    const fake_source *fs = self;
    int64_t n = 0;
    for (int i = 0; i < fs->n_steps; i++) n += fs->steps[i].kind != FAKE_FLUSH;
    return n;
}

static const ingest_source_ops fake_ops = {
    .start = fs_start,
    .next = fs_next,
    .retry = fs_retry,
    .release = fs_release,
    .total = fs_total,
};

ingest_source fake_source_as_source(fake_source *fs)
{
    return (ingest_source){&fake_ops, fs};
}

void fake_open_collection(const char *dir, collection **c, vector_index **vi)
{
    char err[VLM_ERR_MAX] = "";
    collection_options co = {.create_if_missing = true};
    cr_assert_eq(collection_open(dir, &co, c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_bind_model(*c, "fake", FAKE_DIMS, "fake-id", err),
                 VLM_OK, "%s", err);
    cr_assert_eq(vector_index_open(*c, NULL, vi, err), VLM_OK, "%s", err);
}

int64_t fake_committed_images(const char *dir)
{
    collection *c;
    collection_counts k;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(collection_open(dir, NULL, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_get_counts(c, &k, err), VLM_OK, "%s", err);
    collection_close(c);
    return k.images;
}
