/* End-to-end: `vlmindex add --shard K/N`, `vlmindex merge` (and merging
 * again after shards changed) and `vlmsearch -C A -C B ...`, each checked
 * against a single-machine `vlmindex add` of the same folder. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"
#include "tests/scale/collection_compare.h"

#define MODEL  "clip-tiny-quickgelu-f32"
#define SHARDS 4
/* Embeddings of the same bytes through the same model: a shard encodes a
 * file in another batch than the single run, so allow GEMM rounding. */
#define TOL 1e-5f

static e2e_ws ws;
static char shard_dir[SHARDS][700], single[700], merged[700];

static e2e_run vlmindex(const char *const *args)
{
    return e2e_exec("vlmindex", args);
}

static void ok(const char *const *args)
{
    e2e_run r = vlmindex(args);
    cr_assert_eq(r.status, 0, "vlmindex %s failed (%d): %s", args[0], r.status,
                 r.err);
    e2e_run_free(&r);
}

static void add_shard(int k)
{
    char spec[16];
    snprintf(spec, sizeof spec, "%d/%d", k, SHARDS);
    const char *a[] = {"add",        "-q", "--shard", spec,      "-C",
                       shard_dir[k], "-M", ws.model,  ws.photos, NULL};
    ok(a);
}

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    for (int k = 0; k < SHARDS; k++) {
        snprintf(shard_dir[k], sizeof shard_dir[k], "%s/shard%d", ws.root, k);
        add_shard(k);
    }
    snprintf(single, sizeof single, "%s/single", ws.root);
    snprintf(merged, sizeof merged, "%s/merged", ws.root);
    const char *a[] = {"add", "-q",     "-C",      single,
                       "-M",  ws.model, ws.photos, NULL};
    ok(a);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_shards, .init = setup, .fini = teardown, .timeout = 240);

static e2e_run merge(void)
{
    const char *a[] = {"merge",      "-C",         merged,       shard_dir[0],
                       shard_dir[1], shard_dir[2], shard_dir[3], NULL};
    return vlmindex(a);
}

static void assert_same(const char *a, const char *b)
{
    char why[1024] = "";
    cr_assert_eq(collection_compare(a, b, TOL, why, sizeof why), 0,
                 "%s vs %s: %s", a, b, why);
}

static const char *const queries[] = {"a black cat",     "a bee on a flower",
                                      "boats on a lake", "chess pieces",
                                      "a cup of coffee", NULL};

/* vlmsearch's jsonl-free tsv output (score, path) for one query. */
static char *search(const char *const *colls, int n, const char *q)
{
    const char *a[32] = {"-n", "10"};
    int k = 2;
    for (int i = 0; i < n; i++) a[k++] = "-C", a[k++] = colls[i];
    a[k++] = q;
    a[k] = NULL;
    e2e_run r = e2e_exec("vlmsearch", a);
    cr_assert_eq(r.status, 0, "vlmsearch %s: %d %s", q, r.status, r.err);
    cr_assert_eq(e2e_count_lines(r.out), 10, "%s", r.out);
    free(r.err);
    return r.out;
}

/* score desc, then path: equal scores (duplicate files) in one order. */
static int by_score_then_path(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    double x = strtod(a, NULL), y = strtod(b, NULL);
    return x != y ? (x < y) - (x > y) : strcmp(a, b);
}

/* The tsv lines with ties in path order, joined again. */
static char *normalised(char *out)
{
    char *lines[64], *save = NULL, *joined = calloc(1, strlen(out) + 2);
    int n = 0;
    for (char *l = strtok_r(out, "\n", &save); l && n < 64;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, (size_t)n, sizeof *lines, by_score_then_path);
    for (int i = 0; i < n; i++) strcat(strcat(joined, lines[i]), "\n");
    free(out);
    return joined;
}

static void assert_same_top10(const char *const *a, int na,
                              const char *const *b, int nb)
{
    for (int i = 0; queries[i]; i++) {
        char *x = normalised(search(a, na, queries[i]));
        char *y = normalised(search(b, nb, queries[i]));
        cr_assert_str_eq(x, y, "top-10 of '%s' differs", queries[i]);
        free(x), free(y);
    }
}

Test(cli_shards, shards_split_the_folder_and_record_their_spec)
{
    collection_counts one = e2e_counts(single);
    int64_t sum = 0;
    for (int k = 0; k < SHARDS; k++) {
        collection_counts c = e2e_counts(shard_dir[k]);
        cr_assert_gt(c.images, 0, "shard %d is empty", k);
        cr_assert_lt(c.images, one.images, "shard %d holds everything", k);
        sum += c.images;
        const char *a[] = {"status", "-C", shard_dir[k], NULL};
        e2e_run r = vlmindex(a);
        char want[64];
        snprintf(want, sizeof want, "shard:      %d/%d", k, SHARDS);
        cr_assert_not_null(strstr(r.out, want), "%s", r.out);
        e2e_run_free(&r);
    }
    cr_assert_eq(sum, one.images, "the shards hold %lld rows, one add %lld",
                 (long long)sum, (long long)one.images);
    /* Adding the same shard again changes nothing; update keeps the spec. */
    add_shard(2);
    const char *u[] = {"update", "-C", shard_dir[2], "-M", ws.model, NULL};
    e2e_run r = vlmindex(u);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "added 0,"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "to the other shards"), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_shards, merge_equals_a_single_add)
{
    e2e_run r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    cr_assert_not_null(strstr(r.out, "merged 4 collection(s)"), "%s", r.out);
    e2e_run_free(&r);
    assert_same(merged, single);
    const char *m[] = {merged}, *s[] = {single};
    assert_same_top10(m, 1, s, 1);
    /* The merged collection is ordinary: update finds nothing to do. */
    const char *u[] = {"update", "-C", merged, "-M", ws.model, NULL};
    r = vlmindex(u);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "added 0, updated 0"), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_shards, fan_out_search_equals_the_merged_and_single_searches)
{
    e2e_run r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    e2e_run_free(&r);
    const char *shards[SHARDS] = {shard_dir[0], shard_dir[1], shard_dir[2],
                                  shard_dir[3]};
    const char *m[] = {merged}, *s[] = {single};
    assert_same_top10(shards, SHARDS, s, 1);
    assert_same_top10(shards, SHARDS, m, 1);
    /* A shard is an ordinary collection: repair --index works on it and
     * the fan-out search still agrees. */
    const char *rep[] = {"repair", "--index", "sq8", "-C", shard_dir[1], NULL};
    ok(rep);
    const char *st[] = {"status", "-C", shard_dir[1], NULL};
    r = vlmindex(st);
    cr_assert_not_null(strstr(r.out, "sq8"), "%s", r.out);
    e2e_run_free(&r);
    assert_same_top10(shards, SHARDS, s, 1);
    /* Options apply to every collection: --in and a threshold. */
    const char *a[] = {"-C", shard_dir[0], "-C",  shard_dir[1],
                       "-C", shard_dir[2], "-C",  shard_dir[3],
                       "-f", "paths",      "-t",  "-1",
                       "-n", "1000",       "cat", NULL};
    r = e2e_exec("vlmsearch", a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), (int)e2e_counts(single).embeddings,
                 "%s", r.out);
    e2e_run_free(&r);
    const char *w[] = {"-C",       shard_dir[0], "-C",  shard_dir[1],
                       "--rerank", "3",          "cat", NULL};
    r = e2e_exec("vlmsearch", w);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "vlmindex merge"), "%s", r.err);
    e2e_run_free(&r);
}

/* path -> id of every row of a collection, as "path\tid\n" lines. */
static char *ids_by_path(const char *dir)
{
    char err[VLM_ERR_MAX], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    collection *c;
    collection_cursor *cur;
    collection_image row;
    cr_assert_eq(collection_open(dir, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(
        collection_cursor_open(c, NULL, COLLECTION_ROWS_ALL, &cur, err), 0,
        "%s", err);
    while (collection_cursor_step(cur, &row, err) == 1)
        fprintf(f, "%s\t%lld\n", row.path, (long long)row.id);
    collection_cursor_close(cur);
    collection_close(c);
    fclose(f);
    return buf;
}

static int64_t generation(const char *dir)
{
    return e2e_counts(dir).generation;
}

static void update_all(void)
{
    for (int k = 0; k < SHARDS; k++) {
        const char *u[] = {"update", "-q",     "-C", shard_dir[k],
                           "-M",     ws.model, NULL};
        ok(u);
    }
    const char *u[] = {"update", "-q", "-C", single, "-M", ws.model, NULL};
    ok(u);
}

Test(cli_shards, merging_again_moves_only_the_changed_rows)
{
    e2e_run r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    e2e_run_free(&r);
    char *before = ids_by_path(merged);
    int64_t gen = generation(merged);
    /* One file gone, one new, one touched (re-embedded, same bytes). */
    cr_assert_eq(e2e_sh("rm '%s/bee.jpg' && cp '%s/cake.jpg' '%s/new cake.jpg'"
                        " && touch -d '2001-02-03' '%s/books.jpg'",
                        ws.photos, ws.photos, ws.photos, ws.photos),
                 0);
    update_all();
    r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    int64_t n = e2e_counts(single).images;
    char want[128];
    snprintf(want, sizeof want, "added 1, updated 1, unchanged %lld, removed 1",
             (long long)n - 2);
    cr_assert_not_null(strstr(r.out, want), "want '%s' in %s", want, r.out);
    e2e_run_free(&r);
    cr_assert_eq(generation(merged) - gen, 3, "3 embedding changes logged");
    assert_same(merged, single);
    /* Rows that did not change kept their ids (the index kept them too). */
    char *after = ids_by_path(merged), *save = NULL;
    for (char *l = strtok_r(before, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save))
        if (!strstr(l, "/bee.jpg\t") && !strstr(l, "/books.jpg\t"))
            cr_assert_not_null(strstr(after, l), "row moved: %s", l);
    free(before), free(after);
    const char *m[] = {merged}, *s[] = {single};
    assert_same_top10(m, 1, s, 1);
}

/* The first row of a shard and a collection handle on it. */
static collection *first_row(int k, int64_t *id)
{
    char err[VLM_ERR_MAX];
    collection *c;
    collection_cursor *cur;
    collection_image row;
    cr_assert_eq(collection_open(shard_dir[k], NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_cursor_open(c, NULL, COLLECTION_ROWS_OK, &cur, err),
                 0, "%s", err);
    cr_assert_eq(collection_cursor_step(cur, &row, err), 1);
    *id = row.id;
    collection_cursor_close(cur);
    return c;
}

static int caption_hits(const char *word)
{
    char err[VLM_ERR_MAX];
    collection *c;
    collection_caption_match *m = NULL;
    int n = 0;
    cr_assert_eq(collection_open(merged, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_match_captions(c, word, 10, &m, &n, err), 0, "%s",
                 err);
    free(m);
    collection_close(c);
    return n;
}

Test(cli_shards, captions_classifications_and_dicom_rows_follow)
{
    char err[VLM_ERR_MAX];
    int64_t id;
    collection *c = first_row(1, &id);
    cr_assert_eq(collection_put_caption(c, id, "llava-tiny", "describe",
                                        "a zebracorn grazing", err),
                 0, "%s", err);
    int64_t unused, set;
    cr_assert_eq(collection_put_labelset(c, "other", "[\"x\"]", &unused, err),
                 0, "%s", err);
    cr_assert_eq(
        collection_put_labelset(c, "labels1", "[\"a\",\"b\"]", &set, err), 0,
        "%s", err);
    float probs[2] = {0.75f, 0.25f};
    collection_classification cl = {.image_id = id,
                                    .labelset_id = set,
                                    .top_label = "a",
                                    .top_prob = 0.75,
                                    .probs = probs,
                                    .n_probs = 2,
                                    .model_id = "model-id"};
    cr_assert_eq(collection_put_classification(c, &cl, err), 0, "%s", err);
    collection_dicom d = {
        .image_id = id, .sop_uid = "1.2.3.4", .modality = "CT"};
    cr_assert_eq(collection_put_dicom(c, &d, err), 0, "%s", err);
    const char *ex[] = {"exclude", "add", "*.tiff",     "--root",
                        ws.photos, "-C",  shard_dir[3], NULL};
    ok(ex);
    e2e_run r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    e2e_run_free(&r);
    collection_counts k = e2e_counts(merged);
    cr_assert_eq(k.captions, 1);
    cr_assert_eq(k.classifications, 1);
    cr_assert_eq(k.dicom, 1);
    cr_assert_eq(caption_hits("zebracorn"), 1);
    const char *list[] = {"exclude", "list", "-C", merged, NULL};
    r = vlmindex(list);
    cr_assert_not_null(strstr(r.out, "\t*.tiff\t"), "%s", r.out);
    e2e_run_free(&r);
    /* A changed caption replaces the merged one (and its FTS entry). */
    cr_assert_eq(collection_put_caption(c, id, "llava-tiny", "describe",
                                        "a unicorn sleeping", err),
                 0, "%s", err);
    collection_close(c);
    r = merge();
    cr_assert_eq(r.status, 0, "merge: %s", r.err);
    cr_assert_not_null(strstr(r.out, "updated 0"), "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(caption_hits("zebracorn"), 0);
    cr_assert_eq(caption_hits("unicorn"), 1);
    cr_assert_eq(e2e_counts(merged).captions, 1);
}

static void refused(const char *prog, const char *const *args,
                    const char *reason)
{
    e2e_run r = e2e_exec(prog, args);
    cr_assert_eq(r.status, 2, "%s %s: exit %d, %s", prog, args[0], r.status,
                 r.out);
    cr_assert_not_null(strstr(r.err, reason), "want '%s' in: %s", reason,
                       r.err);
    e2e_run_free(&r);
}

/* A refused command leaves no output collection behind. */
static void left_nothing(const char *dir)
{
    cr_assert_neq(access(dir, F_OK), 0, "a refused command created %s", dir);
}

Test(cli_shards, bad_specs_and_mixed_inputs_are_refused)
{
    const char *specs[] = {"4/4", "x", "1/0", "-1/4", "1/4/2", NULL};
    for (int i = 0; specs[i]; i++) {
        const char *a[] = {"add", "--shard", specs[i],  "-C", merged,
                           "-M",  ws.model,  ws.photos, NULL};
        refused("vlmindex", a, "shard");
    }
    const char *other[] = {"add", "--shard", "1/4",     "-C", shard_dir[0],
                           "-M",  ws.model,  ws.photos, NULL};
    refused("vlmindex", other, "is shard 0/4, not 1/4");
    const char *full[] = {"add", "--shard", "0/4",     "-C", single,
                          "-M",  ws.model,  ws.photos, NULL};
    refused("vlmindex", full, "that are not a shard");
    const char *twice[] = {"merge",      "-C",         merged,
                           shard_dir[0], shard_dir[0], NULL};
    refused("vlmindex", twice, "are both shard 0/4");
    left_nothing(merged);
    const char *self[] = {"merge",      "-C",         shard_dir[1],
                          shard_dir[0], shard_dir[1], NULL};
    refused("vlmindex", self, "is the output collection");
    const char *none[] = {"merge", "-C", merged, "/nonexistent/shard", NULL};
    refused("vlmindex", none, "/nonexistent/shard: no such collection folder");
    left_nothing(merged);

    /* A collection of another model. */
    char model2[700], coll2[700];
    snprintf(model2, sizeof model2, "%s/model2", ws.root);
    snprintf(coll2, sizeof coll2, "%s/other-model", ws.root);
    cr_assert_eq(e2e_sh("mkdir -p '%s' && ln -s '%s/clip-tiny-gelu-f16'/* "
                        "'%s/tokenizer-clip/vocab.json' "
                        "'%s/tokenizer-clip/merges.txt' '%s/'",
                        model2, ws.fixtures, ws.fixtures, ws.fixtures, model2),
                 0);
    const char *add2[] = {"add", "-q",   "-C",      coll2,
                          "-M",  model2, ws.photos, NULL};
    ok(add2);
    const char *mix[] = {"merge", "-C", merged, shard_dir[0], coll2, NULL};
    refused("vlmindex", mix, "merge only collections of one model");
    left_nothing(merged);
    const char *mix_out[] = {"merge", "-C", single, coll2, NULL};
    refused("vlmindex", mix_out, "merge only collections of one model");
    const char *fan[] = {"-C", shard_dir[0], "-C", coll2, "cat", NULL};
    refused("vlmsearch", fan, "one search needs collections of one model");
}
