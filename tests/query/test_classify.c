/* query/classify.h on the tiny CLIP fixture: label sets (softmax over
 * cosines, hash identity), classifying a collection whose images are the
 * labels themselves (each image's top label is its own), filters, storage,
 * and the labels file reader. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/classify.h"
#include "tests/common/test_workspace.h"
#include "tests/schema/schema_test_util.h"

static test_ws ws;
static clip_model *m;
static char err[VLM_ERR_MAX];
static const char *labels[] = {"cat", "dog", "boat", "tree"};
static const char *plain[] = {"{}"};

static void setup(void)
{
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.threads = 1;
    cr_assert_eq(clip_model_load(ws.model, &o, &m, err), VLM_OK, "%s", err);
}

static void teardown(void)
{
    clip_model_destroy(m);
    test_ws_cleanup(&ws);
}

TestSuite(classify, .init = setup, .fini = teardown);

static label_set *make(const char *const *tpl, int n_tpl)
{
    label_set *ls;
    cr_assert_eq(label_set_create(m, labels, 4, tpl, n_tpl, &ls, err), VLM_OK,
                 "%s", err);
    return ls;
}

Test(classify, probabilities_and_identity)
{
    label_set *ls = make(plain, 1);
    cr_assert_eq(label_set_count(ls), 4);
    cr_assert_str_eq(label_set_label(ls, 2), "boat");
    int d = clip_embed_dim(m);
    float *e = malloc(d * sizeof *e), probs[4];
    cr_assert_eq(clip_encode_text(m, "boat", e, err), VLM_OK);
    clip_l2_normalize(e, d);
    cr_assert_eq(label_set_classify(ls, e, probs), 2,
                 "a label's own embedding is its best match");
    float sum = 0;
    for (int i = 0; i < 4; i++) sum += probs[i];
    cr_assert_float_eq(sum, 1.0f, 1e-5);
    /* same labels + templates + model: same hash; other templates: not */
    label_set *same = make(plain, 1), *other = make(NULL, 0);
    cr_assert_str_eq(label_set_hash(ls), label_set_hash(same));
    cr_assert_str_neq(label_set_hash(ls), label_set_hash(other));
    label_set_destroy(same);
    label_set_destroy(other);
    label_set_destroy(ls);
    free(e);
    label_set *none;
    cr_assert_eq(label_set_create(m, labels, 0, NULL, 0, &none, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "at least one label"), "%s", err);
}

typedef struct seen {
    int n;
    int64_t ids[8];
    int top[8];
} seen;

static int on_row(void *user, const classify_row *r)
{
    seen *s = user;
    cr_assert(strstr(r->path, "/img"), "%s", r->path);
    s->ids[s->n] = r->id;
    s->top[s->n++] = r->top;
    return 0;
}

/* Images 0..3 carry the embeddings of labels 0..3 (2 under sub/). */
static collection *label_images(int64_t *ids, char *sub, size_t n)
{
    int d = clip_embed_dim(m);
    collection *c = open_test_collection(ws.coll, d);
    float *v = malloc(4 * (size_t)d * sizeof *v);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(clip_encode_text(m, labels[i], v + i * d, err), VLM_OK);
        clip_l2_normalize(v + i * d, d);
    }
    snprintf(sub, n, "%s/sub", ws.photos);
    mkdir(sub, 0755);
    add_test_images(c, ws.photos, v, 2, d, ids);
    add_test_images(c, sub, v + 2 * d, 2, d, ids + 2);
    free(v);
    return c;
}

Test(classify, a_collection_its_filters_and_storage)
{
    int64_t ids[4];
    char sub[800];
    collection *c = label_images(ids, sub, sizeof sub);
    label_set *ls = make(plain, 1);
    seen s = {0};
    int64_t reported;
    classify_options o = {.only = -1, .on_row = on_row, .user = &s};
    cr_assert_eq(classify_collection(c, ls, "mid", &o, &reported, err), VLM_OK,
                 "%s", err);
    cr_assert_eq(reported, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(s.ids[i], ids[i]);
        cr_assert_eq(s.top[i], i);
    }
    collection_counts k;
    collection_get_counts(c, &k, err);
    cr_assert_eq(k.classifications, 0, "not stored unless asked");

    s = (seen){0};
    o = (classify_options){
        .in_dir = sub, .only = 3, .store = 1, .on_row = on_row, .user = &s};
    cr_assert_eq(classify_collection(c, ls, "mid", &o, &reported, err), VLM_OK);
    cr_assert_eq(reported, 1, "--in sub and --only tree");
    cr_assert_eq(s.ids[0], ids[3]);
    collection_get_counts(c, &k, err);
    cr_assert_eq(k.classifications, 2, "every image under sub is stored");

    o = (classify_options){.only = -1, .min_prob = 1.01f};
    cr_assert_eq(classify_collection(c, ls, "mid", &o, &reported, err), VLM_OK);
    cr_assert_eq(reported, 0);
    label_set_destroy(ls);
    collection_close(c);
}

Test(classify, labels_file)
{
    char path[800];
    snprintf(path, sizeof path, "%s/labels.txt", ws.root);
    FILE *f = fopen(path, "w");
    fputs("# findings\ncat\r\n\n  \ndog house  \n#not this\n", f);
    fclose(f);
    char **got;
    int n;
    cr_assert_eq(classify_read_labels(path, &got, &n, err), VLM_OK, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(got[0], "cat");
    cr_assert_str_eq(got[1], "dog house");
    collection_free_strings(got, (size_t)n);
    cr_assert_eq(classify_read_labels("/no/labels.txt", &got, &n, err),
                 VLM_EIO);
    cr_assert(strstr(err, "/no/labels.txt"), "%s", err);
}

static clip_model *load_fixture(const char *name)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", ws.fixtures, name);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.threads = 1;
    clip_model *fm;
    cr_assert_eq(clip_model_load(dir, &o, &fm, err), VLM_OK, "%s", err);
    return fm;
}

static void embed(clip_model *fm, const char *text, float *e)
{
    cr_assert_eq(clip_encode_text(fm, text, e, err), VLM_OK, "%s", err);
    clip_l2_normalize(e, clip_embed_dim(fm));
}

/* SigLIP: each label's own sigmoid(scale * cos + bias), one label works. */
Test(classify, sigmoid_scoring_is_per_label)
{
    clip_model *sm = load_fixture("siglip-tiny");
    int d = clip_embed_dim(sm);
    float *e = malloc(d * sizeof *e), *w = malloc(d * sizeof *w), probs[4];
    label_set *ls, *one;
    cr_assert_eq(label_set_create(sm, labels, 4, plain, 1, &ls, err), VLM_OK);
    cr_assert(label_set_multi_label(ls));
    embed(sm, "boat", e);
    label_set_classify(ls, e, probs);
    for (int l = 0; l < 4; l++) {
        embed(sm, labels[l], w);
        float cos = 0;
        for (int i = 0; i < d; i++) cos += w[i] * e[i];
        cr_assert_float_eq(probs[l], clip_pair_probability(sm, cos), 1e-5,
                           "label %d", l);
    }
    /* One label: a real probability per image, not 1 for all. */
    cr_assert_eq(label_set_create(sm, labels, 1, plain, 1, &one, err), VLM_OK);
    /* Image-like vectors (the tiny model's texts all lie close together,
     * where the sigmoid saturates). */
    float p[4];
    for (int l = 0; l < 4; l++) {
        for (int i = 0; i < d; i++) e[i] = sinf(1.7f * (float)(i * (l + 2)));
        clip_l2_normalize(e, d);
        cr_assert_eq(label_set_classify(one, e, &p[l]), 0);
        cr_assert(p[l] > 0 && p[l] < 1, "%g", p[l]);
    }
    cr_assert(p[0] != p[1] || p[0] != p[2] || p[0] != p[3], "all equal");
    label_set *soft = make(plain, 1);
    cr_assert_not(label_set_multi_label(soft), "CLIP: softmax");
    label_set_destroy(soft);
    label_set_destroy(one);
    label_set_destroy(ls);
    free(e);
    free(w);
    clip_model_destroy(sm);
}

/* The default prompt is in the text tower's language. */
Test(classify, chinese_clip_default_prompt_is_chinese)
{
    clip_model *cm = load_fixture("chinese-clip-tiny");
    const char *zh[] = {"碎花连衣裙", "纯色连衣裙"};
    const char *tpl[] = {"{}的照片。"}, *en[] = {"a photo of {}"};
    label_set *dflt, *same, *english;
    cr_assert_eq(label_set_create(cm, zh, 2, NULL, 0, &dflt, err), VLM_OK);
    cr_assert_eq(label_set_create(cm, zh, 2, tpl, 1, &same, err), VLM_OK);
    cr_assert_eq(label_set_create(cm, zh, 2, en, 1, &english, err), VLM_OK);
    cr_assert_str_eq(label_set_hash(dflt), label_set_hash(same));
    cr_assert_str_neq(label_set_hash(dflt), label_set_hash(english));
    cr_assert_not(label_set_multi_label(dflt));
    label_set_destroy(dflt);
    label_set_destroy(same);
    label_set_destroy(english);
    clip_model_destroy(cm);
}
