/* End-to-end: `vlmindex export` (.npy + JSONL, or one safetensors file)
 * gives back exactly the stored vectors and their metadata, and `vlmindex
 * embed` takes folders, batches the forward passes and keeps going past
 * broken files. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights/safetensors.h"
#include "tests/e2e/e2e_util.h"

static e2e_ws ws;

static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    const char *add[] = {"add",    "-qC",     ws.coll, "-M",
                         ws.model, ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_export, .init = setup, .fini = teardown, .timeout = 120);

typedef struct stored {
    int64_t *ids;
    float *vecs;
    size_t n;
    int dims;
} stored;

static stored load_stored(void)
{
    stored s;
    collection *c;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(
        collection_load_embeddings(c, &s.ids, &s.vecs, &s.n, &s.dims, err), 0,
        "%s", err);
    collection_close(c);
    return s;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len + 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    b[*len] = 0;
    fclose(f);
    return b;
}

/* Each metadata line names an id in order; returns how many lines. */
static size_t check_jsonl(const char *text, const stored *s)
{
    size_t row = 0;
    for (const char *l = text; *l; row++) {
        const char *nl = strchr(l, '\n');
        cr_assert_not_null(nl);
        char *line = strndup(l, (size_t)(nl - l));
        json_object *o = json_tokener_parse(line), *v;
        cr_assert_not_null(o, "%s", line);
        cr_assert(json_object_object_get_ex(o, "id", &v));
        cr_assert_lt(row, s->n);
        cr_assert_eq(json_object_get_int64(v), s->ids[row], "%s", line);
        cr_assert(json_object_object_get_ex(o, "path", &v));
        cr_assert(json_object_object_get_ex(o, "date", &v));
        json_object_put(o);
        free(line);
        l = nl + 1;
    }
    return row;
}

Test(cli_export, npy_and_jsonl_hold_the_stored_vectors)
{
    char out[700], path[800];
    snprintf(out, sizeof out, "%s/export", ws.root);
    const char *args[] = {"export", "-C", ws.coll, out, NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    stored s = load_stored();
    size_t len;
    snprintf(path, sizeof path, "%s/embeddings.npy", out);
    char *npy = slurp(path, &len);
    cr_assert(!memcmp(npy, "\x93NUMPY\x01\x00", 8), "not a .npy file");
    size_t hlen = (unsigned char)npy[8] | (size_t)(unsigned char)npy[9] << 8;
    cr_assert_eq((10 + hlen) % 64, 0, "header not 64-byte aligned");
    char shape[64];
    snprintf(shape, sizeof shape, "'shape': (%zu, %d)", s.n, s.dims);
    cr_assert(strstr(npy + 10, "'descr': '<f4'"));
    cr_assert(strstr(npy + 10, shape), "%.*s", (int)hlen, npy + 10);
    cr_assert_eq(len, 10 + hlen + s.n * (size_t)s.dims * 4);
    cr_assert(!memcmp(npy + 10 + hlen, s.vecs, s.n * (size_t)s.dims * 4),
              "vectors differ from the stored ones");
    free(npy);
    snprintf(path, sizeof path, "%s/metadata.jsonl", out);
    char *meta = slurp(path, &len);
    cr_assert_eq(check_jsonl(meta, &s), s.n);
    free(meta);
    /* numpy itself, when it is installed. */
    if (!e2e_sh("python3 -c 'import numpy' 2>/dev/null"))
        cr_assert_eq(e2e_sh("python3 -c 'import numpy as np; e = "
                            "np.load(\"%s/embeddings.npy\"); assert e.shape == "
                            "(%zu, %d) and e.dtype == np.float32'",
                            out, s.n, s.dims),
                     0);
    /* A second export refuses to overwrite without --force. */
    r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--force"), "%s", r.err);
    e2e_run_free(&r);
    free(s.ids);
    free(s.vecs);
}

Test(cli_export, one_safetensors_file)
{
    char out[700], err[VLM_ERR_MAX];
    snprintf(out, sizeof out, "%s/all.safetensors", ws.root);
    const char *args[] = {"export",      "-C", ws.coll, "--format",
                          "safetensors", out,  NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    stored s = load_stored();
    st_file *f;
    cr_assert_eq(st_file_open(out, &f, err), 0, "%s", err);
    const st_tensor *e = st_file_find(f, "embeddings"),
                    *ids = st_file_find(f, "ids");
    cr_assert(e && ids);
    cr_assert_eq(e->shape[0], (int64_t)s.n);
    cr_assert_eq(e->shape[1], s.dims);
    cr_assert(!memcmp(e->data, s.vecs, s.n * (size_t)s.dims * 4));
    cr_assert(!memcmp(ids->data, s.ids, s.n * sizeof(int64_t)));
    const char *meta = st_file_metadata(f, "metadata_jsonl");
    cr_assert_not_null(meta);
    cr_assert_eq(check_jsonl(meta, &s), s.n);
    cr_assert_not_null(st_file_metadata(f, "model_id"));
    st_file_close(f);
    free(s.ids);
    free(s.vecs);
}

/* The embedding of "input" in JSONL output; NULL when absent. */
static json_object *embedding_of(const char *out, const char *input)
{
    for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
        char *line = strndup(l, (size_t)(strchr(l, '\n') - l));
        json_object *o = json_tokener_parse(line), *v;
        free(line);
        cr_assert_not_null(o);
        cr_assert(json_object_object_get_ex(o, "input", &v));
        if (!strcmp(json_object_get_string(v), input)) return o;
        json_object_put(o);
    }
    return NULL;
}

Test(cli_export, embed_takes_folders_in_batches)
{
    char dir[700], bad[800], cat[800];
    snprintf(dir, sizeof dir, "%s/more", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && cp '%s'/*.jpg '%s/' && cp "
                        "'%s/images/bad/random-bytes.jpg' '%s/bad.jpg'",
                        dir, ws.photos, dir, ws.fixtures, dir),
                 0);
    const char *args[] = {"embed", "-M",      ws.model, "--image",
                          dir,     "--batch", "4",      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "a broken file in a folder: %s", r.err);
    snprintf(bad, sizeof bad, "%s/bad.jpg", dir);
    cr_assert(strstr(r.err, "failed: "), "%s", r.err);
    snprintf(cat, sizeof cat, "%s/cat.jpg", dir);
    json_object *batched = embedding_of(r.out, cat);
    cr_assert_not_null(batched, "%s", r.out);
    cr_assert_null(embedding_of(r.out, bad));
    e2e_run_free(&r);
    /* The same vector as embedding the file alone (one forward pass). */
    const char *one[] = {"embed", "-M", ws.model, "--image", cat, NULL};
    r = e2e_exec("vlmindex", one);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_object *alone = embedding_of(r.out, cat), *a, *b;
    cr_assert(json_object_object_get_ex(batched, "embedding", &a));
    cr_assert(json_object_object_get_ex(alone, "embedding", &b));
    size_t n = json_object_array_length(a);
    cr_assert_eq(n, json_object_array_length(b));
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(
            json_object_get_double(json_object_array_get_idx(a, i)),
            json_object_get_double(json_object_array_get_idx(b, i)), 1e-4);
    json_object_put(batched);
    json_object_put(alone);
    e2e_run_free(&r);
    /* A broken file given by name fails the command. */
    const char *named[] = {"embed", "-M", ws.model, "--image", bad, NULL};
    r = e2e_exec("vlmindex", named);
    cr_assert_eq(r.status, 2, "%s", r.err);
    e2e_run_free(&r);
}
