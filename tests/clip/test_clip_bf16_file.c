/*
 * test_clip_bf16_file.c — a BF16 checkpoint on disk (how many hub models
 * ship) loads and runs in every precision on every CPU path: the F32
 * fixture rounded to BF16 keeps its embeddings within cosine 0.999 of the
 * reference (meson runs it on the avx2 and generic paths too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"
#include "tests/weights/st_test_util.h"

static char *bf16_dir;

/* dir/model.safetensors with every F32 tensor of src rounded to BF16, and
 * src's config.json beside it. */
static void write_bf16_copy(const char *src, const char *dir)
{
    char err[VLM_ERR_MAX] = "";
    st_checkpoint *ck;
    cr_assert_eq(st_checkpoint_open(src, &ck, err), VLM_OK, "%s", err);
    int n = st_checkpoint_count(ck);
    st_tensor *ts = calloc((size_t)n, sizeof *ts);
    const st_tensor **ptrs = calloc((size_t)n, sizeof *ptrs);
    for (int i = 0; i < n; i++) {
        ts[i] = *st_checkpoint_tensor(ck, i);
        if (ts[i].dtype == ST_F32) {
            float *f = malloc(ts[i].nbytes);
            uint16_t *h = malloc(ts[i].nbytes / 2);
            cr_assert_eq(st_tensor_to_f32(&ts[i], f, (size_t)ts[i].numel, err),
                         VLM_OK);
            vlm_f32_to_bf16_n(f, h, (size_t)ts[i].numel);
            free(f);
            ts[i].dtype = ST_BF16;
            ts[i].data = h;
            ts[i].nbytes /= 2;
        }
        ptrs[i] = &ts[i];
    }
    free(stt_write_tensors(dir, "model.safetensors", ptrs, n));
    for (int i = 0; i < n; i++)
        if (ts[i].dtype == ST_BF16) free((void *)ts[i].data);
    free(ts);
    free(ptrs);
    st_checkpoint_close(ck);
    char *from = stt_join(src, "config.json"),
         *to = stt_join(dir, "config.json");
    cr_assert_eq(symlink(from, to), 0);
    free(from);
    free(to);
}

static void check(vlm_precision prec)
{
    char src[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", src, sizeof src);
    bf16_dir = stt_tempdir();
    write_bf16_copy(src, bf16_dir);
    st_file *ex = fixture_expected(src);
    clip_options o = clip_options_default();
    o.precision = prec;
    o.threads = 2;
    clip_model *m;
    cr_assert_eq(clip_model_load(bf16_dir, &o, &m, err), VLM_OK, "%s", err);
    int E = clip_embed_dim(m), S = clip_image_size(m);
    size_t npix, nids;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    float *iref = fixture_floats(ex, "image_embeds", NULL);
    float *tref = fixture_floats(ex, "text_embeds", NULL);
    int ni = (int)(npix / (3 * (size_t)S * S)),
        nt = (int)(nids / CLIP_TEXT_CONTEXT);
    float *ie = malloc((size_t)ni * E * 4), *te = malloc((size_t)nt * E * 4);
    cr_assert_eq(clip_encode_images(m, pix, ni, ie, NULL, NULL, NULL, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(m, ids, nt, te, NULL, err), VLM_OK, "%s",
                 err);
    double ci = min_row_cosine(ie, iref, ni, E),
           ct = min_row_cosine(te, tref, nt, E);
    cr_expect(ci >= 0.999 && ct >= 0.999, "precision %d (%s): cosine %g / %g",
              (int)prec, vlm_gemm_backend(prec), ci, ct);
    free(pix);
    free(ids);
    free(iref);
    free(tref);
    free(ie);
    free(te);
    clip_model_destroy(m);
    st_file_close(ex);
    stt_rmtree(bf16_dir);
    free(bf16_dir);
}

Test(clip_bf16_file, f32) { check(VLM_PREC_F32); }
Test(clip_bf16_file, f32_packed) { check(VLM_PREC_F32_PACKED); }
Test(clip_bf16_file, bf16) { check(VLM_PREC_BF16); }
