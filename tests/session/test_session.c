/* session/: one call opens a collection with its model; model resolution
 * and the download policy; a shared model lets a search and an add run at
 * the same time in one process. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexer/indexer.h"
#include "query/search.h"
#include "session/session.h"
#include "tests/common/test_workspace.h"
#include "tests/weights/http_test_server.h"

static test_ws ws;
static char data_home[700];
static char err[VLM_ERR_MAX];

static void setup(void)
{
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(data_home, sizeof data_home, "%s/data", ws.root);
    setenv("XDG_DATA_HOME", data_home, 1); /* an empty models folder */
    unsetenv("VLMINDEX_MODEL");
    unsetenv("VLMINDEX_COLLECTION");
    err[0] = 0;
}

static void teardown(void) { test_ws_cleanup(&ws); }

TestSuite(session, .init = setup, .fini = teardown);

static session_config config(session_access access, int parts,
                             const char *model)
{
    session_config cfg = session_config_default();
    cfg.collection = ws.coll;
    cfg.access = access;
    cfg.index = SESSION_INDEX_IF_BOUND;
    cfg.parts = parts;
    cfg.model = model;
    cfg.threads = 1;
    return cfg;
}

static session *open_ok(const session_config *cfg)
{
    session *s = NULL;
    cr_assert_eq(session_open(cfg, &s, err), VLM_OK, "%s", err);
    return s;
}

Test(session, reading_a_missing_collection_says_what_to_do)
{
    session_config cfg = config(SESSION_READ, CLIP_PART_TEXT, ws.model);
    session *s = (session *)1;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_ENOTFOUND);
    cr_assert_null(s);
    cr_assert(strstr(err, "vlmindex add"), "%s", err);
}

Test(session, writing_creates_binds_and_records_the_model)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, ws.model);
    session *s = open_ok(&cfg);
    cr_assert_not_null(session_model(s));
    cr_assert_not_null(session_index(s), "bound, so the index is open");
    collection_model cm;
    cr_assert_eq(collection_get_model(session_collection(s), &cm, err), VLM_OK);
    cr_assert_eq(cm.dims, clip_embed_dim(session_model(s)));
    struct stat st;
    cr_assert_eq(stat(ws.coll, &st), 0);
    cr_assert_eq(st.st_mode & 077, 0, "a written collection is private");
    char real[4096];
    cr_assert_not_null(realpath(ws.model, real));
    cr_assert_str_eq(session_model_dir(s), real);
    session_close(s);

    /* Later sessions find the model through the collection. */
    cfg = config(SESSION_READ, CLIP_PART_TEXT, NULL);
    s = open_ok(&cfg);
    cr_assert_str_eq(session_model_dir(s), real);
    cr_assert_eq(clip_model_parts(session_model(s)), CLIP_PART_TEXT);
    session_close(s);
}

Test(session, searching_an_empty_collection_fails_before_the_model_loads)
{
    session_config cfg = config(SESSION_WRITE, 0, NULL);
    session *s = open_ok(&cfg);
    cr_assert_null(session_index(s), "no model bound: no index yet");
    session_close(s);
    cfg = config(SESSION_READ, CLIP_PART_TEXT, "/no/such/model");
    cfg.index = SESSION_INDEX_REQUIRED;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "collection is empty"), "%s", err);
}

Test(session, another_model_is_refused)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, ws.model);
    session_close(open_ok(&cfg));
    char other[800];
    snprintf(other, sizeof other, "%s/other", ws.root);
    cr_assert_eq(test_sh("mkdir '%s' && ln -s '%s/clip-tiny-gelu-f16'/* "
                         "'%s/tokenizer-clip/vocab.json' "
                         "'%s/tokenizer-clip/merges.txt' '%s/'",
                         other, ws.fixtures, ws.fixtures, ws.fixtures, other),
                 0);
    cfg = config(SESSION_READ, CLIP_PART_TEXT, other);
    session *s;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_EMISMATCH);
    cr_assert(strstr(err, "was built with model"), "%s", err);
}

Test(session, resolution_order)
{
    char dir[SESSION_PATH_MAX], inst[SESSION_PATH_MAX], real[SESSION_PATH_MAX];
    session_model_query q = {0};
    cr_assert_eq(session_resolve_model(&q, dir, sizeof dir, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "vlmindex model pull " SESSION_DEFAULT_MODEL), "%s",
              err);
    /* the installed default */
    session_installed_path(SESSION_DEFAULT_MODEL, inst, sizeof inst);
    cr_assert(strstr(inst, "laion--CLIP-ViT-B-32"), "%s", inst);
    cr_assert_eq(
        test_sh("mkdir -p '%s' && cp -rL '%s'/. '%s/'", inst, ws.model, inst),
        0);
    cr_assert_eq(session_resolve_model(&q, dir, sizeof dir, err), VLM_OK);
    cr_assert_str_eq(dir, inst);
    /* $VLMINDEX_MODEL comes before it */
    setenv("VLMINDEX_MODEL", ws.model, 1);
    cr_assert_not_null(realpath(ws.model, real));
    cr_assert_eq(session_resolve_model(&q, dir, sizeof dir, err), VLM_OK);
    cr_assert_str_eq(dir, real);
    /* an installed name given by the user */
    q.model = SESSION_DEFAULT_MODEL;
    cr_assert_eq(session_resolve_model(&q, dir, sizeof dir, err), VLM_OK);
    cr_assert_str_eq(dir, inst);
    q.model = "org/nothing";
    cr_assert_eq(session_resolve_model(&q, dir, sizeof dir, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "'org/nothing' not found"), "%s", err);
}

static void list_one(void *ud, const char *name, const char *dir)
{
    cr_assert_str_eq(name, "org/tiny");
    cr_assert(strstr(dir, "org--tiny"), "%s", dir);
    (*(int *)ud)++;
}

Test(session, installed_models_are_listed_by_repo_name)
{
    char inst[SESSION_PATH_MAX];
    session_installed_path("org/tiny", inst, sizeof inst);
    cr_assert_eq(test_sh("mkdir -p '%s' '%s/../.hidden' && touch "
                         "'%s/config.json'",
                         inst, inst, inst),
                 0);
    int n = 0;
    cr_assert_eq(session_list_models(list_one, &n), 1);
    cr_assert_eq(n, 1);
}

static int announced;
static void announce(void *user, const char *repo)
{
    (void)user;
    cr_assert_str_eq(repo, SESSION_DEFAULT_MODEL);
    announced++;
}

Test(session, offline_never_downloads_the_default)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, NULL);
    cfg.fetch_default = true;
    cfg.offline = true;
    cfg.fetch.announce = announce;
    session *s;
    announced = 0;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "--offline"), "%s", err);
    cr_assert_eq(announced, 0);
}

Test(session, a_fresh_machine_downloads_the_default_model)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "/%s/resolve/main/", SESSION_DEFAULT_MODEL);
    char served[800];
    snprintf(served, sizeof served, "%s/served", ws.root);
    cr_assert_eq(
        test_sh("mkdir '%s' && cp -L '%s'/* '%s/'", served, ws.model, served),
        0);
    hts *server = hts_start(served, prefix);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d",
             hts_port(server));
    setenv("HF_ENDPOINT", endpoint, 1);
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, NULL);
    cfg.fetch_default = true;
    cfg.fetch.announce = announce;
    announced = 0;
    session *s = open_ok(&cfg);
    cr_assert_eq(announced, 1);
    cr_assert_gt(hts_requests(server), 0);
    char inst[SESSION_PATH_MAX];
    session_installed_path(SESSION_DEFAULT_MODEL, inst, sizeof inst);
    cr_assert_str_eq(session_model_dir(s), inst);
    session_close(s);
    hts_stop(server);
}

/* ---- one model, two threads: an add and searches at the same time ------- */

typedef struct add_job {
    session *s;
    indexer_summary sum;
    int rc;
    volatile int done;
    char err[VLM_ERR_MAX];
} add_job;

static void *run_add(void *arg)
{
    add_job *j = arg;
    const char *paths[] = {ws.photos};
    indexer_options o = {.batch_size = 4,
                         .decode_threads = 1,
                         .model_lock = session_model_lock(j->s)};
    j->rc = indexer_add(session_collection(j->s), session_index(j->s),
                        session_model(j->s), paths, 1, &o, &j->sum, j->err);
    j->done = 1;
    return NULL;
}

/* One locked text query and search on the reader's own handle. */
static int search_once(session *reader, const query *q, float *qv)
{
    pthread_mutex_lock(session_model_lock(reader));
    int rc = search_embed_query(session_model(reader), q, qv, err);
    pthread_mutex_unlock(session_model_lock(reader));
    cr_assert_eq(rc, VLM_OK, "%s", err);
    cr_assert_eq(session_refresh(reader, err), VLM_OK, "%s", err);
    search_hit *hits;
    int n;
    search_options so = {.top_k = 5};
    cr_assert_eq(search_run(session_collection(reader), session_index(reader),
                            qv, &so, &hits, &n, err),
                 VLM_OK, "%s", err);
    for (int i = 0; i < n; i++)
        cr_assert(strstr(hits[i].path, ws.photos) == hits[i].path, "%s",
                  hits[i].path);
    search_hits_free(hits, n);
    return n;
}

Test(session, a_search_and_an_add_share_one_model)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, ws.model);
    session *writer = open_ok(&cfg);
    session_config rcfg = config(SESSION_READ, CLIP_PART_TEXT, NULL);
    session *reader;
    cr_assert_eq(session_share(writer, &rcfg, &reader, err), VLM_OK, "%s", err);
    cr_assert_eq(session_model(reader), session_model(writer));
    cr_assert_eq(session_model_lock(reader), session_model_lock(writer));

    const char *words[] = {"a", "cat"};
    query q;
    cr_assert_eq(query_parse(2, words, &q, err), VLM_OK);
    float qv[512];
    cr_assert_leq(clip_embed_dim(session_model(reader)), 512);
    add_job job = {.s = writer};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, run_add, &job), 0);
    do /* searches while batches commit on the other connection */
        search_once(reader, &q, qv);
    while (!job.done);
    pthread_join(t, NULL);
    cr_assert_eq(job.rc, VLM_OK, "%s", job.err);
    cr_assert_eq(job.sum.added, 28);
    cr_assert_eq(search_once(reader, &q, qv), 5, "the reader caught up");
    query_free(&q);
    session_close(reader);
    session_close(writer);
}

Test(session, a_shared_model_must_have_the_parts)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_TEXT, ws.model);
    session *owner = open_ok(&cfg);
    session_config rcfg = config(SESSION_READ, CLIP_PART_ALL, NULL);
    session *s;
    cr_assert_eq(session_share(owner, &rcfg, &s, err), VLM_EINVAL);
    session_close(owner);
}

/* Binds the collection the way a version before the weight-byte model id
 * did: name, dims and the legacy id, no family. */
static void bind_as_legacy(const char *model_dir)
{
    clip_options co = clip_options_default();
    co.parts = CLIP_PART_TEXT;
    clip_model *m;
    cr_assert_eq(clip_model_load(model_dir, &co, &m, err), VLM_OK, "%s", err);
    collection_options o = {.create_if_missing = true};
    collection *c;
    cr_assert_eq(collection_open(ws.coll, &o, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_bind_model(c, clip_model_name(m), clip_embed_dim(m),
                                       clip_model_legacy_id(m), err),
                 VLM_OK, "%s", err);
    cr_assert_str_neq(clip_model_legacy_id(m), clip_model_id(m));
    collection_close(c);
    clip_model_destroy(m);
}

Test(session, a_legacy_model_id_is_accepted_and_rewritten)
{
    bind_as_legacy(ws.model);
    session_config cfg = config(SESSION_READ, CLIP_PART_TEXT, ws.model);
    session *s = open_ok(&cfg);
    collection_model cm;
    cr_assert_eq(collection_get_model(session_collection(s), &cm, err), VLM_OK);
    cr_assert_str_eq(cm.model_id, clip_model_id(session_model(s)),
                     "the stored legacy id is brought up to date");
    cr_assert_str_eq(cm.family, "clip", "and the family is filled in");
    session_close(s);
    /* From now on only the current id matches. */
    s = open_ok(&cfg);
    session_close(s);
}

Test(session, a_legacy_id_of_another_model_is_still_refused)
{
    char other[800];
    snprintf(other, sizeof other, "%s/other", ws.root);
    cr_assert_eq(test_sh("mkdir '%s' && ln -s '%s/clip-tiny-gelu-f16'/* "
                         "'%s/tokenizer-clip/vocab.json' "
                         "'%s/tokenizer-clip/merges.txt' '%s/'",
                         other, ws.fixtures, ws.fixtures, ws.fixtures, other),
                 0);
    bind_as_legacy(other);
    session_config cfg = config(SESSION_READ, CLIP_PART_TEXT, ws.model);
    session *s;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_EMISMATCH);
    cr_assert(strstr(err, "was built with model"), "%s", err);
}

Test(session, mixing_model_families_is_refused_by_name)
{
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, ws.model);
    session_close(open_ok(&cfg));
    char sig[800];
    snprintf(sig, sizeof sig, "%s/siglip", ws.root);
    cr_assert_eq(test_sh("mkdir '%s' && ln -s '%s/siglip-tiny'/* '%s/'", sig,
                         ws.fixtures, sig),
                 0);
    cfg = config(SESSION_WRITE, CLIP_PART_ALL, sig);
    session *s;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_EMISMATCH);
    cr_assert(strstr(err, "holds clip embeddings"), "%s", err);
    cr_assert(strstr(err, "this run uses a siglip model"), "%s", err);
    cr_assert(strstr(err, "cannot be mixed"), "%s", err);
    collection_model cm;
    collection *c;
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_get_model(c, &cm, err), VLM_OK, "%s", err);
    cr_assert_str_eq(cm.family, "clip", "the binding is left alone");
    collection_close(c);
}

/* search_run_many over more collections than it runs at once (it takes
 * them in waves of threads): here one collection opened 20 times, so the
 * merged top-k is each of the single search's hits 20 times over, in
 * collection order, with the single search's scores. */
Test(session, fan_out_over_many_collections_runs_them_all)
{
    enum {
        COPIES = 20,
        K = 3
    };
    session_config cfg = config(SESSION_WRITE, CLIP_PART_ALL, ws.model);
    session *writer = open_ok(&cfg);
    add_job job = {.s = writer};
    run_add(&job);
    cr_assert_eq(job.rc, VLM_OK, "%s", job.err);
    session *all[COPIES] = {writer};
    for (int i = 1; i < COPIES; i++)
        cr_assert_eq(session_open_also(writer, ws.coll, &all[i], err), VLM_OK,
                     "%s", err);
    const char *words[] = {"a", "cat"};
    query q;
    cr_assert_eq(query_parse(2, words, &q, err), VLM_OK);
    float qv[512];
    cr_assert_eq(search_embed_query(session_model(writer), &q, qv, err), VLM_OK,
                 "%s", err);
    search_options so = {.top_k = K};
    search_hit *one, *many;
    int n1, nm;
    cr_assert_eq(search_run(session_collection(writer), session_index(writer),
                            qv, &so, &one, &n1, err),
                 VLM_OK, "%s", err);
    so.top_k = K * COPIES;
    cr_assert_eq(search_run_many(all, COPIES, qv, &so, NULL, &many, &nm, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(n1, K);
    cr_assert_eq(nm, K * COPIES);
    for (int i = 0; i < nm; i++) {
        const search_hit *want = &one[i / COPIES];
        cr_assert_eq(many[i].id, want->id, "hit %d", i);
        cr_assert_eq(many[i].score, want->score, "hit %d", i);
        cr_assert_eq(many[i].source, i % COPIES, "hit %d", i);
        cr_assert_str_eq(many[i].path, want->path);
    }
    search_hits_free(one, n1);
    search_hits_free(many, nm);
    query_free(&q);
    for (int i = 1; i < COPIES; i++) session_close(all[i]);
    session_close(writer);
}
