#define _XOPEN_SOURCE 700
#include "tests/schema/schema_test_util.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/collection_internal.h" /* collection_db: count_sql */

char *scratch_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/vlm-schema-XXXXXX",
             base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir, "mkdtemp failed");
    return strdup(dir);
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void scratch_remove(char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

/* splitmix64 + Box-Muller: portable and reproducible. */
char *test_dir;
char test_err[VLM_ERR_MAX];
collection *test_coll;
float *test_vecs;
int64_t test_ids[VEC_FIXTURE_N];

void scratch_fixture_init(void)
{
    test_dir = scratch_dir();
    test_err[0] = '\0';
}

void scratch_fixture_fini(void) { scratch_remove(test_dir); }

void vector_fixture_init(void)
{
    scratch_fixture_init();
    test_coll = open_test_collection(test_dir, VEC_FIXTURE_DIMS);
    test_vecs = random_unit_vectors(VEC_FIXTURE_N, VEC_FIXTURE_DIMS, 42);
    add_test_images(test_coll, "/v", test_vecs, VEC_FIXTURE_N, VEC_FIXTURE_DIMS,
                    test_ids);
}

void vector_fixture_fini(void)
{
    collection_close(test_coll);
    free(test_vecs);
    scratch_fixture_fini();
}

void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s",
                 sql, msg ? msg : "");
}

int64_t count_sql(collection *c, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(collection_db(c), sql, -1, &st, NULL),
                 SQLITE_OK, "%s", sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_gauss(uint64_t *s)
{
    double u1 = ((next_u64(s) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (next_u64(s) >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

float *random_unit_vectors(size_t n, int dims, uint64_t seed)
{
    float *v = malloc(n * (size_t)dims * sizeof *v);
    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        float *row = v + i * (size_t)dims;
        for (int j = 0; j < dims; j++) {
            row[j] = (float)next_gauss(&seed);
            ss += (double)row[j] * row[j];
        }
        for (int j = 0; j < dims; j++) row[j] = (float)(row[j] / sqrt(ss));
    }
    return v;
}

collection *open_test_collection(const char *dir, int dims)
{
    char err[VLM_ERR_MAX] = "";
    collection *c = NULL;
    collection_options o = {.create_if_missing = true};
    cr_assert_eq(collection_open(dir, &o, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_bind_model(c, "test-model", dims, "abc123", err),
                 VLM_OK, "%s", err);
    return c;
}

void add_test_images(collection *c, const char *root, const float *vecs,
                     size_t n, int dims, int64_t *ids)
{
    char err[VLM_ERR_MAX] = "", path[512], hash[32];
    cr_assert_eq(collection_begin(c, err), VLM_OK, "%s", err);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/img%zu.jpg", root, i);
        snprintf(hash, sizeof hash, "h%s%zu", root, i);
        collection_image_info info = {.path = path,
                                      .root = root,
                                      .size = 1000 + (int64_t)i,
                                      .mtime_ns = 7,
                                      .content_hash = hash,
                                      .format = "jpeg"};
        cr_assert_eq(collection_put_image(c, &info, vecs + i * (size_t)dims,
                                          dims, ids ? &ids[i] : NULL, err),
                     VLM_OK, "%s", err);
    }
    cr_assert_eq(collection_commit(c, err), VLM_OK, "%s", err);
}

void brute_force_topk(const float *q, const float *vecs, const int64_t *ids,
                      size_t n, int dims, int k, int64_t *out_ids,
                      float *out_scores)
{
    for (int j = 0; j < k; j++) out_ids[j] = -1, out_scores[j] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float s = 0;
        for (int d = 0; d < dims; d++) s += q[d] * vecs[i * (size_t)dims + d];
        int pos = k;
        while (pos > 0 && s > out_scores[pos - 1]) pos--;
        if (pos == k) continue;
        memmove(out_ids + pos + 1, out_ids + pos,
                (k - pos - 1) * sizeof *out_ids);
        memmove(out_scores + pos + 1, out_scores + pos,
                (k - pos - 1) * sizeof *out_scores);
        out_ids[pos] = ids[i], out_scores[pos] = s;
    }
}
