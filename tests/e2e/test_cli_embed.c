/* End-to-end: `vlmindex embed --raw` reproduces the reference embeddings of
 * both fixture models (texts from the fixture metadata), and embeds photos. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights/safetensors.h"
#include "tests/common/fixture_tensor.h"
#include "tests/e2e/e2e_util.h"

typedef struct model_case {
    char name[64];
} model_case;

ParameterizedTestParameters(cli_embed, text_matches_reference)
{
    static model_case cases[] = {{"clip-tiny-quickgelu-f32"},
                                 {"clip-tiny-gelu-f16"}};
    return cr_make_param_array(model_case, cases, 2);
}

/* The first `texts` entry of the fixture and its reference embedding. */
static float *reference(const char *fixtures, const char *model, char *text,
                        size_t cap, int *dims)
{
    char path[1024], err[VLM_ERR_MAX];
    snprintf(path, sizeof path, "%s/%s/expected.safetensors", fixtures, model);
    st_file *f;
    cr_assert_eq(st_file_open(path, &f, err), 0, "%s", err);
    json_object *texts = json_tokener_parse(st_file_metadata(f, "texts"));
    cr_assert_not_null(texts);
    snprintf(text, cap, "%s",
             json_object_get_string(json_object_array_get_idx(texts, 0)));
    json_object_put(texts);
    *dims = (int)st_file_find(f, "text_embeds")->shape[1];
    float *all = fixture_tensor_f32(f, "text_embeds", NULL);
    st_file_close(f);
    return all; /* row 0 is the first text */
}

ParameterizedTest(model_case *mc, cli_embed, text_matches_reference,
                  .timeout = 60)
{
    e2e_ws ws;
    e2e_ws_init(&ws, mc->name);
    char text[512];
    int dims;
    float *ref = reference(ws.fixtures, mc->name, text, sizeof text, &dims);
    char img[1024];
    snprintf(img, sizeof img, "%s/chelsea.png", ws.photos);
    const char *args[] = {"embed", "--model", ws.model, "--raw", "--text",
                          text,    "--image", img,      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2);
    json_object *o = json_tokener_parse(r.out), *e;
    cr_assert_not_null(o);
    cr_assert(json_object_object_get_ex(o, "embedding", &e));
    cr_assert_eq((int)json_object_array_length(e), dims);
    for (int i = 0; i < dims; i++)
        cr_assert_float_eq(
            json_object_get_double(json_object_array_get_idx(e, i)), ref[i],
            1e-3, "%s dim %d", mc->name, i);
    json_object_put(o);
    free(ref);
    e2e_run_free(&r);
    e2e_ws_cleanup(&ws);
}

Test(cli_embed, unreadable_image_is_a_clear_error)
{
    e2e_ws ws;
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/images/bad/truncated-half.jpg", ws.fixtures);
    const char *args[] = {"embed", "--model", ws.model, "--image", bad, NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "truncated-half.jpg"), "%s", r.err);
    e2e_run_free(&r);
    e2e_ws_cleanup(&ws);
}
