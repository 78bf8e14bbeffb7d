/* Checkpoint folders: single file, shards built from a fixture, bad indexes,
 * st_checkpoint_require messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_test_util.h"

static char *tmp;

static void setup(void) { tmp = stt_tempdir(); }
static void teardown(void)
{
    stt_rmtree(tmp);
    free(tmp);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static void write_text(const char *dir, const char *name, const char *text)
{
    free(stt_write_raw(dir, name, text, strlen(text)));
}

/* Splits the fixture's tensors into three shards plus an index in tmp. */
static st_file *make_sharded(const char *src_path)
{
    char err[VLM_ERR_MAX];
    st_file *src;
    cr_assert_eq(st_file_open(src_path, &src, err), VLM_OK, "%s", err);
    stt_write_sharded(tmp, src, 3);
    return src;
}

Test(checkpoint, sharded_matches_single_file)
{
    char *src_path = stt_fixture("clip-tiny-quickgelu-f32/model.safetensors");
    if (!src_path) cr_skip_test("fixtures not found (set VLM_FIXTURES)");
    st_file *src = make_sharded(src_path);
    char err[VLM_ERR_MAX] = "";
    st_checkpoint *c;
    cr_assert_eq(st_checkpoint_open(tmp, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(st_checkpoint_count(c), st_file_count(src));
    for (int i = 0; i < st_file_count(src); i++) {
        const st_tensor *a = st_file_tensor(src, i);
        const st_tensor *b = st_checkpoint_find(c, a->name);
        cr_assert_not_null(b, "%s missing", a->name);
        cr_assert_eq(b->dtype, a->dtype);
        cr_assert_eq(b->numel, a->numel);
        cr_assert_eq(memcmp(a->data, b->data, a->nbytes), 0, "%s bytes differ",
                     a->name);
        cr_assert(strstr(b->path, "-of-00003.safetensors"), "%s", b->path);
    }
    const st_tensor *last = st_checkpoint_tensor(c, st_checkpoint_count(c) - 1);
    cr_assert(strstr(last->path, "model-00003-of-00003"), "%s", last->path);
    st_checkpoint_close(c);
    st_file_close(src);
    free(src_path);
}

static const char *one_tensor =
    "{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}";

static void expect_open_fail(int want, const char *frag1, const char *frag2)
{
    char err[VLM_ERR_MAX] = "";
    st_checkpoint *c = (st_checkpoint *)&err;
    int rc = st_checkpoint_open(tmp, &c, err);
    cr_assert_eq(rc, want, "got %d (%s)", rc, err);
    cr_assert_null(c);
    cr_assert(strstr(err, frag1), "lacks '%s': %s", frag1, err);
    if (frag2) cr_assert(strstr(err, frag2), "lacks '%s': %s", frag2, err);
}

Test(checkpoint, duplicate_names_across_shards)
{
    static const float d[2] = {1, 2};
    free(stt_write_st(tmp, "a.safetensors", one_tensor, (size_t)-1, d, 8));
    free(stt_write_st(tmp, "b.safetensors", one_tensor, (size_t)-1, d, 8));
    /* "y" forces b.safetensors to be opened too; both hold "x" */
    free(stt_write_st(tmp, "b.safetensors",
                      "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], "
                      "\"data_offsets\": [0, 4]},"
                      " \"y\": {\"dtype\": \"F32\", \"shape\": [1], "
                      "\"data_offsets\": [4, 8]}}",
                      (size_t)-1, d, 8));
    write_text(tmp, "model.safetensors.index.json",
               "{\"weight_map\": {\"x\": \"a.safetensors\", \"y\": "
               "\"b.safetensors\"}}");
    expect_open_fail(VLM_EFORMAT, "tensor 'x' appears in both",
                     "b.safetensors");
}

Test(checkpoint, bad_indexes)
{
    static const float d[2] = {1, 2};
    free(stt_write_st(tmp, "a.safetensors", one_tensor, (size_t)-1, d, 8));

    write_text(tmp, "model.safetensors.index.json",
               "{\"weight_map\": {\"x\": \"gone.safetensors\"}}");
    expect_open_fail(VLM_ENOTFOUND, "gone.safetensors", "cannot open");

    write_text(tmp, "model.safetensors.index.json",
               "{\"weight_map\": {\"z\": \"a.safetensors\"}}");
    expect_open_fail(VLM_ENOTFOUND, "tensor 'z'", "not in it");

    write_text(tmp, "model.safetensors.index.json",
               "{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
    expect_open_fail(VLM_EFORMAT, "tensor 'x'", "invalid shard name");

    write_text(tmp, "model.safetensors.index.json", "{\"weight_map\": {}}");
    expect_open_fail(VLM_EFORMAT, "empty", NULL);

    write_text(tmp, "model.safetensors.index.json", "{\"weight_map\": ");
    expect_open_fail(VLM_EFORMAT, "model.safetensors.index.json", NULL);

    write_text(tmp, "model.safetensors.index.json", "{\"metadata\": {}}");
    expect_open_fail(VLM_EFORMAT, "no \"weight_map\"", NULL);
}

Test(checkpoint, shard_errors_name_the_shard)
{
    free(stt_write_st(tmp, "a.safetensors", one_tensor, (size_t)-1, NULL, 0));
    write_text(tmp, "model.safetensors.index.json",
               "{\"weight_map\": {\"x\": \"a.safetensors\"}}");
    expect_open_fail(VLM_EFORMAT, "a.safetensors: tensor 'x'", "beyond");
}

Test(checkpoint, empty_folder)
{
    expect_open_fail(VLM_ENOTFOUND, tmp, "no model.safetensors");
}

Test(checkpoint, require_reports_mismatches)
{
    char *dir = stt_fixture("clip-tiny-quickgelu-f32");
    if (!dir) cr_skip_test("fixtures not found (set VLM_FIXTURES)");
    char err[VLM_ERR_MAX] = "";
    st_checkpoint *c;
    cr_assert_eq(st_checkpoint_open(dir, &c, err), VLM_OK, "%s", err);
    const st_tensor *t = NULL;
    cr_assert_eq(st_checkpoint_require(c, "visual_projection.weight", 2,
                                       (int64_t[]){24, 128}, &t, err),
                 VLM_OK, "%s", err);
    cr_assert_not_null(t);
    cr_assert_eq(st_checkpoint_require(c, "logit_scale", 0, NULL, NULL, err),
                 VLM_OK, "%s", err);

    cr_assert_eq(st_checkpoint_require(c, "visual_projection.weight", 2,
                                       (int64_t[]){24, 129}, &t, err),
                 VLM_EMISMATCH);
    cr_assert_null(t);
    cr_assert(strstr(err, "'visual_projection.weight'") &&
                  strstr(err, "expected shape [24, 129], found [24, 128]"),
              "%s", err);
    cr_assert(strstr(err, "model.safetensors"), "%s", err);

    cr_assert_eq(st_checkpoint_require(c, "visual_projection.weight", 1,
                                       (int64_t[]){3072}, NULL, err),
                 VLM_EMISMATCH);
    cr_assert(strstr(err, "expected shape [3072], found [24, 128]"), "%s", err);

    cr_assert_eq(st_checkpoint_require(c, "no.such.weight", 1, (int64_t[]){1},
                                       NULL, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "'no.such.weight'") && strstr(err, "missing"), "%s",
              err);

    cr_assert_eq(st_checkpoint_require(c, "text_model.embeddings.position_ids",
                                       2, (int64_t[]){1, 77}, NULL, err),
                 VLM_EMISMATCH);
    cr_assert(strstr(err, "float dtype") && strstr(err, "I64"), "%s", err);
    st_checkpoint_close(c);
    free(dir);
}
