/* End-to-end: the vector index through the CLIs.
 *   - byte damage at chosen places of vectors.faiss (header, quantizer,
 *     list sizes, vectors, ids, trailer, length): `vlmsearch` never
 *     crashes and answers exactly as before the damage (after rebuilding
 *     from the database, which it says on stderr); `vlmindex status
 *     --verify` then finds a healthy index and database;
 *   - `vlmindex repair --index ivfpq|flat|auto` switches kinds on a
 *     collection past the approximate threshold, `status` shows kind,
 *     size and calibrated recall, and `vlmsearch` answers with exact
 *     scores and high recall in every kind. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/clip/clip.h"
#include "query/query_parse.h"
#include "query/search.h"
#include "schema/collection.h"
#include "schema/vector_index.h"
#include "schema/vector_index_file.h"
#include "schema/vector_index_layout.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;
static char index_file[700], good_copy[700];

static void setup(void) { e2e_ws_init(&ws, MODEL); }
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_vector_index, .init = setup, .fini = teardown, .timeout = 300);

static const char *queries[] = {"a cat", "a red car", "a bee on a flower"};

static char *search(const char *q, int *status, char **err_out)
{
    const char *args[] = {"-C", ws.coll, "-M", ws.model, "-n", "5", q, NULL};
    e2e_run r = e2e_exec("vlmsearch", args);
    *status = r.status;
    *err_out = r.err;
    return r.out;
}

static void write_at(uint64_t off, const void *b, size_t n)
{
    int fd = open(index_file, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, b, n, (off_t)off), (ssize_t)n);
    close(fd);
}

/* Offsets of the healthy file's parts. */
static vindex_layout layout_of(off_t *size)
{
    int fd = open(index_file, O_RDONLY);
    struct stat sb;
    cr_assert_eq(fstat(fd, &sb), 0);
    uint64_t faiss_bytes = 0;
    cr_assert_eq(
        pread(fd, &faiss_bytes, 8, sb.st_size - VINDEX_TRAILER_BYTES + 40), 8);
    vindex_layout l;
    char err[VLM_ERR_MAX];
    cr_assert_eq(vindex_layout_read(fd, index_file, faiss_bytes, &l, err),
                 VLM_OK, "%s", err);
    close(fd);
    *size = sb.st_size;
    return l;
}

typedef struct {
    const char *name;
    uint64_t offset; /* UINT64_MAX: truncate */
    unsigned char bytes[8];
} spot;

static void damage_and_search(const spot *s, char **reference)
{
    cr_assert_eq(e2e_sh("cp '%s' '%s'", good_copy, index_file), 0);
    if (s->offset == UINT64_MAX) {
        struct stat sb;
        stat(index_file, &sb);
        cr_assert_eq(truncate(index_file, sb.st_size - 100), 0);
    } else
        write_at(s->offset, s->bytes, 8);
    for (int i = 0; i < 3; i++) {
        int status;
        char *err, *out = search(queries[i], &status, &err);
        cr_assert_eq(status, 0, "%s: vlmsearch exit %d: %s", s->name, status,
                     err);
        cr_assert_str_eq(out, reference[i], "%s: results differ", s->name);
        if (i == 0)
            cr_assert(strstr(err, "rebuilt from the database"),
                      "%s: no note of the rebuild: %s", s->name, err);
        free(out), free(err);
    }
    const char *args[] = {"status", "-C", ws.coll, "--verify", NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s: status --verify: %s", s->name, r.err);
    cr_assert(strstr(r.out, "quick_check ok"), "%s", r.out);
    cr_assert(strstr(r.out, "ok (xxh3"), "%s: %s", s->name, r.out);
    e2e_run_free(&r);
}

Test(cli_vector_index, damaged_bytes_never_crash_nor_mislead)
{
    const char *add[] = {"add",    "-C", ws.coll,   "-M",
                         ws.model, "-q", ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    snprintf(index_file, sizeof index_file, "%s/%s", ws.coll,
             VECTOR_INDEX_FILE_NAME);
    snprintf(good_copy, sizeof good_copy, "%s/good.faiss", ws.root);
    char *reference[3];
    for (int i = 0; i < 3; i++) {
        int status;
        char *err;
        reference[i] = search(queries[i], &status, &err);
        cr_assert_eq(status, 0, "%s", err);
        free(err);
    }
    cr_assert_eq(e2e_sh("cp '%s' '%s'", index_file, good_copy), 0);
    off_t size;
    vindex_layout l = layout_of(&size);
    uint64_t ff = ~0ull, nan2 = 0x7fc000007fc00000ull, id = 999999;
    spot spots[] = {
        {"index type", 0, "XXXXXXXX"},
        {"dimension", 4, {0}},
        {"vector count", 8, {0xff, 0xff, 0xff, 0x7f}},
        {"list size", l.sizes_offset + 8, {0}},
        {"centroid", l.centroids_offset, {0}},
        {"vector data", l.data_offset, {0}},
        {"id", l.first_ids, {0}},
        {"trailer generation", (uint64_t)size - VINDEX_TRAILER_BYTES + 8, {0}},
        {"trailer checksum", (uint64_t)size - 16, {0}},
        {"truncated", UINT64_MAX, {0}},
    };
    memcpy(spots[3].bytes, &ff, 8);
    memcpy(spots[4].bytes, &nan2, 8);
    memcpy(spots[5].bytes, &nan2, 8);
    memcpy(spots[6].bytes, &id, 8);
    memcpy(spots[7].bytes, &ff, 8);
    memcpy(spots[8].bytes, &ff, 8);
    vindex_layout_free(&l);
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++)
        damage_and_search(&spots[i], reference);
    for (int i = 0; i < 3; i++) free(reference[i]);
}

/* ------------------------------------------------------------------ */
/* Kinds through the CLIs                                              */
/* ------------------------------------------------------------------ */

#define N_SYNTH 52000 /* just past VECTOR_INDEX_APPROX_THRESHOLD */

/* Random unit vectors around 500 centres, bound to the tiny model so that
 * its text queries search them. */
static void fill_synthetic(clip_model *m)
{
    char err[VLM_ERR_MAX];
    collection *c = NULL;
    collection_options co = {.create_if_missing = true};
    cr_assert_eq(collection_open(ws.coll, &co, &c, err), VLM_OK, "%s", err);
    int d = clip_embed_dim(m);
    cr_assert_eq(
        collection_bind_model(c, clip_model_name(m), d, clip_model_id(m), err),
        VLM_OK, "%s", err);
    float *centres = malloc(500 * (size_t)d * sizeof(float)), v[64];
    cr_assert(d <= 64);
    srand(5);
    for (int i = 0; i < 500 * d; i++)
        centres[i] = rand() / (float)RAND_MAX - .5f;
    cr_assert_eq(collection_begin(c, err), VLM_OK, "%s", err);
    for (int i = 0; i < N_SYNTH; i++) {
        for (int j = 0; j < d; j++)
            v[j] = centres[(i % 500) * d + j] +
                   0.3f * (rand() / (float)RAND_MAX - .5f);
        char path[64];
        snprintf(path, sizeof path, "/synthetic/%06d.jpg", i);
        collection_image_info info = {.path = path, .root = "/synthetic"};
        cr_assert_eq(collection_put_image(c, &info, v, d, NULL, err), VLM_OK,
                     "%s", err);
    }
    cr_assert_eq(collection_commit(c, err), VLM_OK, "%s", err);
    collection_close(c);
    free(centres);
}

/* Exact top-10 paths and scores for a text query, by brute force. */
static void brute_force(clip_model *m, const char *text, char paths[10][64],
                        float scores[10])
{
    char err[VLM_ERR_MAX];
    query q;
    const char *argv[] = {text};
    cr_assert_eq(query_parse(1, argv, &q, err), VLM_OK, "%s", err);
    float qv[64];
    cr_assert_eq(search_embed_query(m, &q, qv, err), VLM_OK, "%s", err);
    query_free(&q);
    collection *c = NULL;
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), VLM_OK, "%s", err);
    int64_t *ids, top[10];
    float *vecs;
    size_t n;
    int d;
    cr_assert_eq(collection_load_embeddings(c, &ids, &vecs, &n, &d, err),
                 VLM_OK);
    for (int k = 0; k < 10; k++) scores[k] = -2, top[k] = -1;
    for (size_t i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < d; j++) s += qv[j] * vecs[i * d + j];
        int k = 10;
        while (k > 0 && s > scores[k - 1]) k--;
        if (k == 10) continue;
        memmove(scores + k + 1, scores + k, (9 - k) * sizeof *scores);
        memmove(top + k + 1, top + k, (9 - k) * sizeof *top);
        scores[k] = s, top[k] = ids[i];
    }
    for (int k = 0; k < 10; k++) {
        collection_image img;
        cr_assert_eq(collection_get_image(c, top[k], &img, err), VLM_OK);
        snprintf(paths[k], 64, "%.63s", img.path);
    }
    free(ids), free(vecs);
    collection_close(c);
}

/* vlmsearch's --nprobe and --refine for good_answers ("" = defaults). */
static char nprobe_arg[16], refine_arg[16];

/* How many of the exact top 10 vlmsearch returns; their scores must be
 * the exact ones. */
static int good_answers(clip_model *m, const char *kind, const char *text)
{
    char want[10][64];
    float want_s[10];
    brute_force(m, text, want, want_s);
    const char *args[] = {"-C", ws.coll, "-M", ws.model, "-n", "10",
                          text, NULL,    NULL, NULL,     NULL, NULL};
    int a = 7;
    if (*nprobe_arg) args[a++] = "--nprobe", args[a++] = nprobe_arg;
    if (*refine_arg) args[a++] = "--refine", args[a++] = refine_arg;
    e2e_run r = e2e_exec("vlmsearch", args);
    cr_assert_eq(r.status, 0, "%s: %s", kind, r.err);
    cr_assert_eq(e2e_count_lines(r.out), 10, "%s: %s", kind, r.out);
    int found = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        float score = strtof(line, NULL);
        const char *path = strchr(line, '\t') + 1;
        for (int k = 0; k < 10; k++)
            if (strcmp(path, want[k]) == 0) {
                found++;
                cr_assert_float_eq(score, want_s[k], 1e-4, "%s: %s", kind,
                                   line);
            }
    }
    e2e_run_free(&r);
    return found;
}

static int answers_found(clip_model *m, const char *kind)
{
    int found = 0;
    for (int i = 0; i < 3; i++) found += good_answers(m, kind, queries[i]);
    return found;
}

/* recall@10 over a few queries: 24-d codes of the tiny model are coarse
 * (PQ keeps 3 bytes of 96), so the bar is 0.8, not the 0.95 of 512-d. */
static void expect_good_answers(clip_model *m, const char *kind)
{
    int found = answers_found(m, kind);
    cr_assert_geq(found, 24, "%s: only %d of the exact top 10 x 3", kind,
                  found);
}

/* --nprobe trades recall for speed: on ivf-flat, every list probed is an
 * exact search (30 of 30), one list finds fewer than the default. */
static void expect_nprobe_matters(clip_model *m)
{
    int by_default = answers_found(m, "ivf-flat");
    snprintf(nprobe_arg, sizeof nprobe_arg, "%d", 1 << 20); /* all lists */
    int all = answers_found(m, "ivf-flat --nprobe all");
    snprintf(nprobe_arg, sizeof nprobe_arg, "1");
    snprintf(refine_arg, sizeof refine_arg, "1");
    int one = answers_found(m, "ivf-flat --nprobe 1 --refine 1");
    nprobe_arg[0] = refine_arg[0] = '\0';
    cr_assert_eq(all, 30, "--nprobe covering every list: %d of 30", all);
    cr_assert_lt(one, by_default, "--nprobe 1 found %d, the default %d", one,
                 by_default);
}

static char *vlmindex(const char *a1, const char *a2, const char *a3)
{
    const char *args[] = {a1, "-C", ws.coll, a2, a3, NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "vlmindex %s %s %s: %s", a1, a2 ? a2 : "",
                 a3 ? a3 : "", r.err);
    free(r.err);
    return r.out;
}

Test(cli_vector_index, repair_index_switches_kinds)
{
    /* Four builds of a 52,000-vector approximate index take minutes under
     * an emulator (the arm64 CI stage); the kinds themselves are tested there
     * by schema_vector_index_kinds. */
    if (getenv("MESON_EXE_WRAPPER"))
        cr_skip_test("slow under an emulator (%s): run natively",
                     getenv("MESON_EXE_WRAPPER"));
    char err[VLM_ERR_MAX];
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m = NULL;
    cr_assert_eq(clip_model_load(ws.model, &o, &m, err), VLM_OK, "%s", err);
    fill_synthetic(m);

    char *out = vlmindex("status", NULL, NULL); /* builds the default */
    cr_assert(strstr(out, "ivf-sq8"), "%s", out);
    cr_assert(strstr(out, "expected recall@10"), "%s", out);
    free(out);
    expect_good_answers(m, "ivf-sq8");

    static const struct {
        const char *arg, *kind;
    } steps[] = {
        {"ivfpq", "ivf-pq"}, {"flat", "ivf-flat"}, {"auto", "ivf-sq8"}};
    for (int i = 0; i < 3; i++) {
        out = vlmindex("repair", "--index", steps[i].arg);
        cr_assert(strstr(out, steps[i].kind), "%s", out);
        free(out);
        out = vlmindex("status", "--verify", NULL);
        cr_assert(strstr(out, steps[i].kind) && strstr(out, "ok (xxh3"), "%s",
                  out);
        free(out);
        expect_good_answers(m, steps[i].kind);
        if (!strcmp(steps[i].arg, "flat")) expect_nprobe_matters(m);
    }
    clip_model_destroy(m);
}
