/* Opening the reference fixtures: shapes, dtypes, values, metadata, laziness. */
#include <criterion/criterion.h>
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "st_test_util.h"

static st_file *open_ok(const char *path)
{
    char err[VLM_ERR_MAX] = "";
    st_file *f = NULL;
    int rc = st_file_open(path, &f, err);
    cr_assert_eq(rc, VLM_OK, "%s: %s", path, err);
    return f;
}

static void assert_shape(const st_tensor *t, st_dtype dt, int ndim,
                         const int64_t *shape)
{
    cr_assert_not_null(t);
    cr_assert_eq(t->dtype, dt, "%s: dtype %s", t->name,
                 st_dtype_name(t->dtype));
    cr_assert_eq(t->ndim, ndim, "%s: ndim %d", t->name, t->ndim);
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        cr_assert_eq(t->shape[i], shape[i], "%s dim %d", t->name, i);
        numel *= shape[i];
    }
    cr_assert_eq(t->numel, numel);
    cr_assert_eq(t->nbytes, (size_t)numel * st_dtype_size(dt));
}

Test(st_fixtures, every_fixture_file_opens)
{
    STT_FIXTURE_OR_SKIP(pattern, "*/*.safetensors");
    glob_t g;
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "no fixture files match %s",
                 pattern);
    cr_assert_geq(g.gl_pathc, 7u);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        st_file *f = open_ok(g.gl_pathv[i]);
        cr_assert_gt(st_file_count(f), 0, "%s has no tensors", g.gl_pathv[i]);
        for (int k = 0; k < st_file_count(f); k++) {
            const st_tensor *t = st_file_tensor(f, k);
            cr_assert_eq(st_file_find(f, t->name), t, "find(%s)", t->name);
            cr_assert_str_eq(t->path, g.gl_pathv[i]);
        }
        cr_assert_null(st_file_tensor(f, st_file_count(f)));
        cr_assert_null(st_file_find(f, "no.such.tensor"));
        st_file_close(f);
    }
    globfree(&g);
    free(pattern);
}

Test(st_fixtures, clip_f32_expected_values_and_metadata)
{
    STT_FIXTURE_OR_SKIP(path, "clip-tiny-quickgelu-f32/expected.safetensors");
    st_file *f = open_ok(path);
    cr_assert_eq(st_file_count(f), 9);

    const st_tensor *ls = st_file_find(f, "logit_scale");
    assert_shape(ls, ST_F32, 0, NULL);
    float v = 0;
    char err[VLM_ERR_MAX];
    cr_assert_eq(st_tensor_to_f32(ls, &v, 1, err), VLM_OK, "%s", err);
    cr_assert_float_eq(v, 2.6592600345611572f, 1e-7);

    assert_shape(st_file_find(f, "pixel_values"), ST_F32, 4,
                 (int64_t[]){4, 3, 32, 32});
    assert_shape(st_file_find(f, "vision_hidden_penultimate"), ST_F32, 3,
                 (int64_t[]){4, 17, 128});
    const st_tensor *ids = st_file_find(f, "input_ids");
    assert_shape(ids, ST_I32, 2, (int64_t[]){32, 77});
    int32_t *buf = malloc(32 * 77 * sizeof *buf);
    cr_assert_eq(st_tensor_to_i32(ids, buf, 32 * 77, err), VLM_OK, "%s", err);
    const int32_t first[5] = {49406, 736, 4023, 537, 1746};
    cr_assert_arr_eq(buf, first, sizeof first);
    free(buf);

    cr_assert_str_eq(st_file_metadata(f, "pixel_names"),
                     "[\"random0\", \"random1\", \"cat.jpg\", \"coffee.png\"]");
    cr_assert_not_null(st_file_metadata(f, "texts"));
    cr_assert_null(st_file_metadata(f, "format"));
    st_file_close(f);
    free(path);
}

Test(st_fixtures, clip_f16_model_converts)
{
    STT_FIXTURE_OR_SKIP(dir, "clip-tiny-gelu-f16");
    char err[VLM_ERR_MAX] = "";
    st_checkpoint *c = NULL;
    cr_assert_eq(st_checkpoint_open(dir, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(st_checkpoint_count(c), 111);

    const st_tensor *w;
    cr_assert_eq(st_checkpoint_require(c, "visual_projection.weight", 2,
                                       (int64_t[]){48, 192}, &w, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(w->dtype, ST_F16);
    float *x = malloc(48 * 192 * sizeof *x);
    cr_assert_eq(st_tensor_to_f32(w, x, 48 * 192, err), VLM_OK, "%s", err);
    /* exact: every f16 value is representable in f32 */
    const float want[5] = {0.0545654296875f, -0.221435546875f, -0.26611328125f,
                           -0.12005615234375f, 0.06256103515625f};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(x[i], want[i], "element %d: %.9g", i, x[i]);
    free(x);

    float ls;
    cr_assert_eq(
        st_tensor_to_f32(st_checkpoint_find(c, "logit_scale"), &ls, 1, err),
        VLM_OK);
    cr_assert_eq(ls, 2.66015625f);

    const st_tensor *pos =
        st_checkpoint_find(c, "text_model.embeddings.position_ids");
    assert_shape(pos, ST_I64, 2, (int64_t[]){1, 77});
    int32_t p[77];
    cr_assert_eq(st_tensor_to_i32(pos, p, 77, err), VLM_OK, "%s", err);
    for (int i = 0; i < 77; i++) cr_assert_eq(p[i], i);
    st_checkpoint_close(c);
    free(dir);
}

Test(st_fixtures, llava_and_preprocess_shapes)
{
    STT_FIXTURE_OR_SKIP(llava, "llava-tiny-llama/model.safetensors");
    STT_FIXTURE_OR_SKIP(pre, "preprocess-224/expected_u8.safetensors");
    st_file *f = open_ok(llava);
    cr_assert_eq(st_file_count(f), 80);
    cr_assert_str_eq(st_file_metadata(f, "format"), "pt");
    assert_shape(st_file_find(f, "language_model.lm_head.weight"), ST_F32, 2,
                 (int64_t[]){32064, 64});
    st_file_close(f);

    f = open_ok(pre);
    cr_assert_eq(st_file_count(f), 50);
    const st_tensor *cat = st_file_find(f, "cat.jpg");
    assert_shape(cat, ST_U8, 3, (int64_t[]){224, 224, 3});
    const unsigned char want[5] = {123, 99, 87, 117, 101};
    cr_assert_arr_eq(cat->data, want, 5);
    float *px = malloc(224 * 224 * 3 * sizeof *px);
    char err[VLM_ERR_MAX];
    cr_assert_eq(st_tensor_to_f32(cat, px, 224 * 224 * 3, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(px[1], 99.0f);
    free(px);
    st_file_close(f);
    free(llava);
    free(pre);
}

/* Opening validates the header only: the 15 MB of tensor data stays
 * unfaulted.  Reading it all would fault ~3800 pages; header parsing costs a
 * few hundred at most (more under ASan, whose shadow memory faults too). */
Test(st_fixtures, open_does_not_touch_tensor_pages)
{
    STT_FIXTURE_OR_SKIP(path, "clip-tiny-quickgelu-f32/model.safetensors");
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    st_file *f = open_ok(path);
    getrusage(RUSAGE_SELF, &after);
    long faults = (after.ru_minflt - before.ru_minflt) +
                  (after.ru_majflt - before.ru_majflt);
    size_t data_pages = 0;
    for (int i = 0; i < st_file_count(f); i++)
        data_pages += st_file_tensor(f, i)->nbytes / 4096;
    cr_assert_gt(data_pages, 3000u);
    cr_assert_lt((size_t)faults, data_pages / 4, "open faulted %ld pages",
                 faults);
    st_file_close(f);
    free(path);
}
