/* Broken LLaVA folders give one clear error naming the culprit: a missing
 * tensor, a tensor whose shape disagrees with config.json, a bad config.
 * Also the config variants the fixture does not use: tied embeddings (no
 * lm_head tensor needed) and "full" feature selection (CLS kept). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/llava/llava.h"
#include "tests/llava/llava_fixture.h"

static char tmpdir[] = "/tmp/llava_bad_XXXXXX";

static void link_file(const char *name)
{
    char dst[512];
    snprintf(dst, sizeof dst, "%s/%s", tmpdir, name);
    cr_assert_eq(symlink(llava_fixture_path(name), dst), 0, "symlink %s", dst);
}

static const char *dtype_json(st_dtype t) { return st_dtype_name(t); }

/* Copies model.safetensors into tmpdir without the tensor named `drop`. */
static void write_checkpoint_without(const char *drop)
{
    char err[VLM_ERR_MAX], path[512];
    st_file *f;
    cr_assert_eq(st_file_open(llava_fixture_path("model.safetensors"), &f, err),
                 VLM_OK, "%s", err);
    json_object *hdr = json_object_new_object();
    size_t off = 0;
    for (int i = 0; i < st_file_count(f); i++) {
        const st_tensor *t = st_file_tensor(f, i);
        if (!strcmp(t->name, drop)) continue;
        json_object *e = json_object_new_object(),
                    *shape = json_object_new_array();
        for (int d = 0; d < t->ndim; d++)
            json_object_array_add(shape, json_object_new_int64(t->shape[d]));
        json_object *offs = json_object_new_array();
        json_object_array_add(offs, json_object_new_int64((int64_t)off));
        json_object_array_add(
            offs, json_object_new_int64((int64_t)(off + t->nbytes)));
        json_object_object_add(e, "dtype",
                               json_object_new_string(dtype_json(t->dtype)));
        json_object_object_add(e, "shape", shape);
        json_object_object_add(e, "data_offsets", offs);
        json_object_object_add(hdr, t->name, e);
        off += t->nbytes;
    }
    const char *h = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN);
    const uint64_t hl = strlen(h);
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    FILE *o = fopen(path, "wb");
    cr_assert_not_null(o);
    fwrite(&hl, 8, 1, o); /* little-endian host */
    fwrite(h, 1, hl, o);
    for (int i = 0; i < st_file_count(f); i++) {
        const st_tensor *t = st_file_tensor(f, i);
        if (strcmp(t->name, drop)) fwrite(t->data, 1, t->nbytes, o);
    }
    fclose(o);
    json_object_put(hdr);
    st_file_close(f);
}

/* config.json with [section][key] = value (section NULL: top level). */
static void write_config_value(const char *section, const char *key,
                               json_object *value)
{
    json_object *root =
        json_object_from_file(llava_fixture_path("config.json"));
    cr_assert_not_null(root);
    json_object *obj = section ? json_object_object_get(root, section) : root;
    json_object_object_add(obj, key, value);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    cr_assert_eq(json_object_to_file(path, root), 0);
    json_object_put(root);
}

static void write_config_with(const char *key, int value)
{
    write_config_value("text_config", key, json_object_new_int(value));
}

static void make_dir(void)
{
    llava_fixture_dir();
    strcpy(tmpdir, "/tmp/llava_bad_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    link_file("preprocessor_config.json");
    link_file("tokenizer.model");
}

static void remove_dir(void)
{
    const char *names[] = {"config.json", "preprocessor_config.json",
                           "tokenizer.model", "model.safetensors"};
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

static int load_error(char *err)
{
    llava_model *m = (llava_model *)1;
    int rc = llava_load(tmpdir, NULL, &m, err);
    cr_assert_null(m);
    return rc;
}

Test(llava_bad, missing_tensor_is_named, .init = make_dir, .fini = remove_dir)
{
    const char *gone = "language_model.model.layers.1.mlp.up_proj.weight";
    link_file("config.json");
    write_checkpoint_without(gone);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(load_error(err), VLM_ENOTFOUND, "message: %s", err);
    cr_assert(strstr(err, gone), "message does not name the tensor: %s", err);
}

Test(llava_bad, missing_projector_is_named, .init = make_dir,
     .fini = remove_dir)
{
    const char *gone = "multi_modal_projector.linear_2.bias";
    link_file("config.json");
    write_checkpoint_without(gone);
    char err[VLM_ERR_MAX] = "";
    cr_assert_neq(load_error(err), VLM_OK);
    cr_assert(strstr(err, gone), "message does not name the tensor: %s", err);
}

Test(llava_bad, shape_mismatch_is_named, .init = make_dir, .fini = remove_dir)
{
    link_file("model.safetensors");
    write_config_with("intermediate_size", 100);
    char err[VLM_ERR_MAX] = "";
    cr_assert_neq(load_error(err), VLM_OK);
    cr_assert(strstr(err, "language_model.model.layers.0.mlp.gate_proj.weight"),
              "message does not name the tensor: %s", err);
}

Test(llava_bad, inconsistent_heads_rejected, .init = make_dir,
     .fini = remove_dir)
{
    link_file("model.safetensors");
    write_config_with("num_key_value_heads", 3);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(load_error(err), VLM_EFORMAT);
    cr_assert(strstr(err, "num_key_value_heads"), "message: %s", err);
}

Test(llava_bad, missing_folder)
{
    llava_fixture_dir();
    char err[VLM_ERR_MAX] = "";
    llava_model *m;
    cr_assert_neq(llava_load("/nonexistent/llava", NULL, &m, err), VLM_OK);
    cr_assert(strstr(err, "/nonexistent/llava"), "message: %s", err);
}

Test(llava_bad, tied_embeddings_need_no_lm_head, .init = make_dir,
     .fini = remove_dir)
{
    write_checkpoint_without("language_model.lm_head.weight");
    write_config_value("text_config", "tie_word_embeddings",
                       json_object_new_boolean(1));
    char err[VLM_ERR_MAX] = "";
    llava_model *m;
    cr_assert_eq(llava_load(tmpdir, NULL, &m, err), VLM_OK, "%s", err);
    float *e = calloc(16 * 64, sizeof(float)),
          *logits = malloc(sizeof(float) * 32064);
    cr_assert_eq(llava_prompt_logits(m, e, NULL, 1, logits, err), VLM_OK, "%s",
                 err);
    for (int i = 0; i < 32064; i++) cr_assert(isfinite(logits[i]));
    free(logits);
    free(e);
    llava_destroy(m);
}

Test(llava_bad, full_strategy_keeps_cls, .init = make_dir, .fini = remove_dir)
{
    link_file("model.safetensors");
    write_config_value(NULL, "vision_feature_select_strategy",
                       json_object_new_string("full"));
    char err[VLM_ERR_MAX] = "";
    llava_model *m;
    cr_assert_eq(llava_load(tmpdir, NULL, &m, err), VLM_OK, "%s", err);
    cr_assert_eq(llava_image_tokens(m), 17);
    llava_destroy(m);
}

Test(llava_bad, unknown_strategy_rejected, .init = make_dir, .fini = remove_dir)
{
    link_file("model.safetensors");
    write_config_value(NULL, "vision_feature_select_strategy",
                       json_object_new_string("pooled"));
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(load_error(err), VLM_EUNSUPPORTED);
    cr_assert(strstr(err, "pooled"), "message: %s", err);
}

/* Absurd numbers are refused naming the field before anything is sized
 * from them (num_hidden_layers = 2147483647 used to try a 309 GB calloc). */
Test(llava_bad, config_numbers_out_of_range_name_the_field, .init = make_dir,
     .fini = remove_dir)
{
    link_file("model.safetensors");
    static const struct {
        const char *section, *key;
        int is_int;
        double value;
        const char *want;
    } cases[] = {
        {"text_config", "num_hidden_layers", 1, 2147483647.0,
         "text_config.num_hidden_layers = 2147483647 is outside 1..1024"},
        {"text_config", "vocab_size", 1, -3,
         "text_config.vocab_size = -3 is outside 1..16777216"},
        {"text_config", "intermediate_size", 0, 1e12,
         "text_config.intermediate_size = 2147483647 is outside 1..262144"},
        {"text_config", "rope_theta", 0, -1,
         "text_config.rope_theta = -1 is not a finite number between 0 and "
         "1e+12"},
        {"vision_config", "patch_size", 1, 0,
         "vision_config.patch_size = 0 is outside 1..4096"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = cases[i].value;
        write_config_value(cases[i].section, cases[i].key,
                           cases[i].is_int ? json_object_new_int((int)v)
                                           : json_object_new_double(v));
        char err[VLM_ERR_MAX] = "", want[1024];
        llava_model *m = NULL;
        int rc = llava_load(tmpdir, NULL, &m, err);
        snprintf(want, sizeof want, "%s/config.json: %s", tmpdir,
                 cases[i].want);
        cr_expect_null(m);
        cr_expect_eq(rc, VLM_EFORMAT, "%s: rc %d: %s", cases[i].key, rc, err);
        cr_expect_str_eq(err, want);
    }
}
