/* Byte damage at chosen places of vectors.faiss (header, quantizer, list
 * sizes, vector data, ids, trailer, length): never a crash, and the
 * answers equal brute force over SQLite after the index notices and
 * rebuilds — at load (trailer, list table, structure, head checksum, and
 * the whole checksum of small files) or at search (each probed list's
 * checksum, results checked against the stored embeddings). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "schema/vector_index_file.h"
#include "schema/vector_index_layout.h"
#include "tests/schema/schema_test_util.h"

#define DIMS VEC_FIXTURE_DIMS
#define N    VEC_FIXTURE_N
#define K    10

TestSuite(vector_index_damage, .init = vector_fixture_init,
          .fini = vector_fixture_fini);

enum spot {
    INDEX_TYPE,
    DIMENSION,
    VECTOR_COUNT,
    LIST_COUNT,
    CENTROID,
    LIST_SIZE,
    VECTOR_DATA,
    ID_MISSING,
    ID_DUPLICATE,
    TRAILER_GENERATION,
    TRAILER_CHECKSUM,
    TRUNCATED,
    APPENDED,
    N_SPOTS
};
static const char *const spot_names[] = {
    "index type",     "dimension",          "vector count",     "list count",
    "centroid",       "list size",          "vector data",      "id (missing)",
    "id (duplicate)", "trailer generation", "trailer checksum", "truncated",
    "appended"};

typedef struct {
    int spot;
    int choice;        /* kind, with threshold */
    int64_t threshold; /* -1: the exact kind */
    bool checksum;     /* load-time checksum on */
} damage_case;

static char *index_path(void)
{
    static char p[700];
    snprintf(p, sizeof p, "%s/%s", test_dir, VECTOR_INDEX_FILE_NAME);
    return p;
}

static void write_at(uint64_t off, const void *b, size_t n)
{
    int fd = open(index_path(), O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, b, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static int64_t read_id(uint64_t off)
{
    int64_t v = 0;
    int fd = open(index_path(), O_RDONLY);
    cr_assert_eq(pread(fd, &v, 8, (off_t)off), 8);
    close(fd);
    return v;
}

/* Damages one spot; returns the id whose vector the damage concerns (the
 * first one stored), so that the query can aim at it. */
static int64_t damage(int spot, const vindex_layout *l, off_t size)
{
    static const unsigned char ff[8] = {0xff, 0xff, 0xff, 0x7f,
                                        0xff, 0xff, 0xff, 0x7f};
    static const unsigned char big[8] = {0x7f, 0x7f, 0x7f, 0x7f,
                                         0x7f, 0x7f, 0x7f, 0x7f};
    int64_t first = read_id(l->first_ids),
            other = first == test_ids[5] ? test_ids[6] : test_ids[5];
    int64_t missing = 987654321;
    switch (spot) {
    case INDEX_TYPE: write_at(0, "XXXX", 4); break;
    case DIMENSION: write_at(4, ff, 4); break;
    case VECTOR_COUNT: write_at(8, ff, 8); break;
    case LIST_COUNT: write_at(37, ff, 8); break;
    case CENTROID: write_at(98, ff, 8); break; /* first float, NaN */
    case LIST_SIZE: write_at(l->sizes_offset + 8, ff, 8); break;
    case VECTOR_DATA: write_at(l->data_offset, big, 8); break;
    case ID_MISSING: write_at(l->first_ids, &missing, 8); break;
    case ID_DUPLICATE: write_at(l->first_ids, &other, 8); break;
    case TRAILER_GENERATION: write_at((uint64_t)size - 56, ff, 2); break;
    case TRAILER_CHECKSUM: write_at((uint64_t)size - 16, ff, 8); break;
    case TRUNCATED: cr_assert_eq(truncate(index_path(), size - 100), 0); break;
    case APPENDED: {
        FILE *f = fopen(index_path(), "ab");
        fwrite(ff, 1, 8, f);
        fclose(f);
        break;
    }
    }
    return first;
}

/* Search == brute force over SQLite (all lists probed). */
static const damage_case *current;

static void expect_exact(vector_index *vi, const float *q)
{
    int64_t want[K];
    float want_s[K];
    brute_force_topk(q, test_vecs, test_ids, N, DIMS, K, want, want_s);
    vector_hit hits[K];
    int got = 0;
    cr_assert_eq(vector_index_search(vi, q, K, NULL, 0, hits, &got, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(got, K);
    for (int i = 0; i < got; i++) {
        cr_assert_eq(hits[i].id, want[i], "%s (%s, checksum %d): rank %d",
                     spot_names[current->spot],
                     vector_index_choice_name(current->choice),
                     current->checksum, i);
        cr_assert_float_eq(hits[i].score, want_s[i], 1e-5);
    }
}

/* Where things are in the healthy file (faiss_bytes from the trailer). */
static vindex_layout good_layout(off_t *size)
{
    int fd = open(index_path(), O_RDONLY);
    struct stat sb;
    cr_assert_eq(fstat(fd, &sb), 0);
    uint64_t faiss_bytes = 0;
    cr_assert_eq(
        pread(fd, &faiss_bytes, 8, sb.st_size - VINDEX_TRAILER_BYTES + 40), 8);
    vindex_layout l;
    cr_assert_eq(
        vindex_layout_read(fd, index_path(), faiss_bytes, &l, test_err), VLM_OK,
        "%s", test_err);
    close(fd);
    *size = sb.st_size;
    return l;
}

static const float *vector_of(int64_t id)
{
    for (int i = 0; i < N; i++)
        if (test_ids[i] == id) return test_vecs + (size_t)i * DIMS;
    return test_vecs; /* a damaged id: any query */
}

/* Writes a healthy vectors.faiss (opening the index with o) and returns
 * where things are in it. */
static vindex_layout write_good_index(const vector_index_options *o,
                                      off_t *size)
{
    vector_index *vi = NULL;
    cr_assert_eq(vector_index_open(test_coll, o, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_index_close(vi);
    return good_layout(size);
}

/* Writes a healthy file, then zeroes part of a vector no query reaches:
 * damage only the whole-file checksum can see. */
static void zero_unreached_vector(const vector_index_options *o)
{
    off_t size;
    vindex_layout l = write_good_index(o, &size);
    static const unsigned char zero[16] = {0};
    write_at(l.data_offset + 64, zero, sizeof zero);
    vindex_layout_free(&l);
}

static void run_case(const damage_case *dc)
{
    current = dc;
    vector_index_options o = {.approx_threshold = dc->threshold,
                              .choice = dc->choice,
                              .nprobe = 1 << 20,
                              .verify_bytes = dc->checksum ? 0 : -1,
                              .no_calibration = true,
                              .save_after_rebuild = true};
    vector_index *vi = NULL;
    off_t size;
    vindex_layout l = write_good_index(&o, &size);
    int64_t target = damage(dc->spot, &l, size);
    vindex_layout_free(&l);

    cr_assert_eq(vector_index_open(test_coll, &o, &vi, test_err), VLM_OK,
                 "%s: open failed: %s", spot_names[dc->spot], test_err);
    expect_exact(vi, vector_of(target)); /* aims at the damaged vector */
    float *q = random_unit_vectors(5, DIMS, 11);
    for (int i = 0; i < 5; i++) expect_exact(vi, q + i * DIMS);
    free(q);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    bool may_go_unseen = dc->spot == CENTROID && !dc->checksum;
    if (!may_go_unseen)
        cr_assert(in.rebuilt, "%s (%s, checksum %d) went unnoticed",
                  spot_names[dc->spot], vector_index_choice_name(dc->choice),
                  dc->checksum);
    vector_index_check ck;
    bool repaired;
    cr_assert_eq(vector_index_verify_repair(vi, &ck, &repaired, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert(ck.ok || repaired, "%s", ck.problem);
    vector_index_close(vi);
}

ParameterizedTestParameters(vector_index_damage, every_spot)
{
    static damage_case cases[N_SPOTS * 4];
    static const struct {
        int choice;
        int64_t threshold;
    } kinds[] = {{VECTOR_INDEX_CHOICE_AUTO, -1}, /* exact */
                 {VECTOR_INDEX_CHOICE_FLAT, 400},
                 {VECTOR_INDEX_CHOICE_SQ8, 400}};
    /* Every kind without the load-time checksum (the per-list and result
     * checks must do), plus the exact kind with it. */
    size_t n = 0;
    for (int s = 0; s < N_SPOTS; s++) {
        for (int c = 0; c < 3; c++)
            cases[n++] =
                (damage_case){s, kinds[c].choice, kinds[c].threshold, false};
        cases[n++] =
            (damage_case){s, kinds[0].choice, kinds[0].threshold, true};
    }
    return cr_make_param_array(damage_case, cases, n);
}

ParameterizedTest(damage_case *dc, vector_index_damage, every_spot)
{
    run_case(dc);
}

/* Damage that only the whole-file checksum can see (a vector no query
 * reaches, zeroed): vector_index_verify finds it and the repair fixes it. */
Test(vector_index_damage, verify_finds_what_searches_do_not)
{
    vector_index_options o = {.verify_bytes = -1, .save_after_rebuild = true};
    vector_index *vi = NULL;
    zero_unreached_vector(&o);
    cr_assert_eq(vector_index_open(test_coll, &o, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_index_check ck;
    bool repaired = false;
    cr_assert_eq(vector_index_verify(vi, &ck, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert(ck.present);
    cr_assert_not(ck.ok);
    cr_assert(strstr(ck.problem, "checksum"), "%s", ck.problem);
    cr_assert_eq(vector_index_verify_repair(vi, &ck, &repaired, test_err),
                 VLM_OK);
    cr_assert(repaired);
    cr_assert_eq(vector_index_verify(vi, &ck, test_err), VLM_OK);
    cr_assert(ck.ok, "%s", ck.problem);
    vector_index_close(vi);
}

/* A reader that may not write the collection (save_after_rebuild off)
 * repairs in memory only: the damaged file is left as it was. */
Test(vector_index_damage, a_read_only_repair_does_not_save)
{
    vector_index_options o = {.verify_bytes = -1, .save_after_rebuild = true};
    vector_index *vi = NULL;
    zero_unreached_vector(&o);
    o.save_after_rebuild = false;
    cr_assert_eq(vector_index_open(test_coll, &o, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_index_check ck;
    bool repaired = true;
    cr_assert_eq(vector_index_verify_repair(vi, &ck, &repaired, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_not(ck.ok);
    cr_assert_not(repaired, "nothing saved");
    cr_assert_eq(vector_index_verify(vi, &ck, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_not(ck.ok, "the file is untouched: %s", ck.problem);
    vector_index_close(vi);
}

/* Lists read into memory without the whole checksum (a stale file, loaded
 * to be caught up, with the load-time checksum off): the checks of each
 * result against SQLite are what notice a damaged vector. */
Test(vector_index_damage, result_checks_catch_unchecked_lists)
{
    vector_index_options o = {.verify_bytes = -1, .save_after_rebuild = true};
    vector_index *vi = NULL;
    off_t size;
    vindex_layout l = write_good_index(&o, &size);
    int64_t first = read_id(l.first_ids);
    /* Huge components of the query's signs: the damaged vector scores far
     * above everything, so it is a candidate the checks must reject. */
    const float *qv = vector_of(first);
    float big[2] = {copysignf(1e30f, qv[0]), copysignf(1e30f, qv[1])};
    write_at(l.data_offset, big, sizeof big);
    vindex_layout_free(&l);
    float *more = random_unit_vectors(1, DIMS, 123); /* the file is stale */
    add_test_images(test_coll, "/later", more, 1, DIMS, NULL);
    cr_assert_eq(vector_index_open(test_coll, &o, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    cr_assert(in.loaded_from_file && !in.rebuilt, "caught up, not rebuilt");
    cr_assert_eq(in.replayed, 1);
    static damage_case dc = {VECTOR_DATA, VECTOR_INDEX_CHOICE_AUTO, 0, false};
    current = &dc;
    vector_hit hits[K];
    int got = 0;
    cr_assert_eq(vector_index_search(vi, vector_of(first), K, NULL, 0, hits,
                                     &got, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(hits[0].id, first, "the damaged vector, exactly scored");
    cr_assert_float_eq(hits[0].score, 1.0f, 1e-5);
    vector_index_get_info(vi, &in);
    cr_assert(in.rebuilt);
    cr_assert(strstr(in.rebuild_reason, "scores"), "%s", in.rebuild_reason);
    vector_index_close(vi);
    free(more);
}
