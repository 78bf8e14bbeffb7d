/* End-to-end: DICOM files and a real Orthanc PACS (DICOMweb) through the
 * CLIs — window reaching the model input, de-identification everywhere,
 * per-study worklists, authentication failures, incremental re-runs. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL /* the shard hash, computed here independently */
#include <xxhash.h>

#include "schema/collection.h"
#include "tests/dicom/fixtures_gen/synthetic.h"
#include "tests/e2e/e2e_rig.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;
static char dcm[700];

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    e2e_rig_dicom_files(&ws, dcm, sizeof dcm);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_dicom, .init = setup, .fini = teardown, .timeout = 300);

/* No patient identifier may appear in this text (or binary) blob. */
static void assert_no_phi(const char *what, const char *buf, size_t len)
{
    const char *phi[] = {"TESTPATIENT", "SECRET", SYN_PATIENT_ID,
                         SYN_BIRTH_DATE};
    for (int i = 0; i < 4; i++)
        cr_assert_null(memmem(buf, len, phi[i], strlen(phi[i])),
                       "%s leaks '%s'", what, phi[i]);
}

static void assert_db_has_no_phi(void)
{
    cr_assert_eq(e2e_sh("sqlite3 '%s/collection.db' 'PRAGMA "
                        "wal_checkpoint(TRUNCATE);' >/dev/null",
                        ws.coll),
                 0);
    char path[800];
    snprintf(path, sizeof path, "%s/collection.db", ws.coll);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char buf[64 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_no_phi("collection.db", buf, n);
}

static e2e_run add(const char *window)
{
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, "--window",     window,  dcm,
                          NULL};
    return e2e_exec("vlmindex", args);
}

Test(cli_dicom, local_files_index_with_private_permissions_and_no_phi)
{
    e2e_run r = add("lung");
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_no_phi("add stdout", r.out, r.out_len);
    assert_no_phi("add stderr", r.err, strlen(r.err));
    cr_assert(strstr(r.out, "failed 0"), "%s", r.out);
    e2e_run_free(&r);

    struct stat st;
    cr_assert_eq(stat(ws.coll, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "collection folder is 0700");
    char db[800];
    snprintf(db, sizeof db, "%s/collection.db", ws.coll);
    cr_assert_eq(stat(db, &st), 0);
    cr_assert_eq(st.st_mode & 0077, 0, "database is not group/world readable");

    collection *c;
    collection_counts k;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_counts(c, &k, err), 0);
    cr_assert_eq(k.dicom, k.ok, "every indexed DICOM image has its header row");
    cr_assert_geq(k.dicom, SYN_CT_INSTANCES);
    collection_close(c);
    assert_db_has_no_phi();
}

/* Parses a CSV worklist: returns rows, checks the marker on each. */
static int check_worklist_csv(const char *out)
{
    cr_assert_eq(strncmp(out, "rank,study_uid,accession,", 25), 0, "%s", out);
    int rows = 0;
    for (const char *l = strchr(out, '\n'); l && l[1];
         l = strchr(l + 1, '\n')) {
        rows++;
        const char *eol = strchr(l + 1, '\n');
        cr_assert_not_null(eol);
        cr_assert(memmem(l, (size_t)(eol - l),
                         "research triage, not a diagnosis", 32),
                  "every row carries the triage marker");
    }
    return rows;
}

typedef struct study_set {
    int n;
    char uids[64][65];
} study_set;

static int add_study(void *ud, const collection_dicom *d)
{
    study_set *s = ud;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->uids[i], d->study_uid)) return 0;
    if (s->n == 64) return VLM_ENOMEM;
    snprintf(s->uids[s->n++], sizeof s->uids[0], "%s", d->study_uid);
    return 0;
}

static int count_studies(void)
{
    collection *c;
    char err[VLM_ERR_MAX];
    study_set s = {0};
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_for_each_dicom(c, add_study, &s, err), 0, "%s",
                 err);
    collection_close(c);
    return s.n;
}

Test(cli_dicom, search_and_classify_worklists_aggregate_per_study)
{
    e2e_run r = add("lung");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    const char *q[] = {
        "--collection",        ws.coll, "--model", ws.model, "--worklist",
        "nodular lung shadow", NULL};
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int studies = count_studies();
    cr_assert_geq(studies, 2);
    cr_assert_eq(check_worklist_csv(r.out), studies, "one row per study:\n%s",
                 r.out);
    assert_no_phi("worklist", r.out, r.out_len);
    cr_assert(strstr(r.out, "lung -600,1500"), "the window used is listed:\n%s",
              r.out);
    e2e_run_free(&r);

    const char *cl[] = {"classify",
                        "--collection",
                        ws.coll,
                        "--model",
                        ws.model,
                        "--label",
                        "nodular lung shadow",
                        "--label",
                        "normal chest",
                        "--only",
                        "nodular lung shadow",
                        "--worklist",
                        "--format",
                        "jsonl",
                        NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), studies, "%s", r.out);
    json_object *o = json_tokener_parse(r.out), *v;
    cr_assert_not_null(o);
    cr_assert(json_object_object_get_ex(o, "note", &v));
    cr_assert_str_eq(json_object_get_string(v),
                     "research triage, not a diagnosis");
    cr_assert(json_object_object_get_ex(o, "score_max", &v));
    double mx = json_object_get_double(v);
    cr_assert(json_object_object_get_ex(o, "score_topk_mean", &v));
    cr_assert_leq(json_object_get_double(v), mx + 1e-6,
                  "top-k mean never exceeds max");
    json_object_put(o);
    e2e_run_free(&r);
}

Test(cli_dicom, window_changes_what_the_model_sees)
{
    /* The same CT indexed with two windows must give different vectors. */
    e2e_run r = add("lung");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    collection *c;
    char err[VLM_ERR_MAX], p[900];
    float a[24], b[24];
    snprintf(p, sizeof p, "%s/ct_1.dcm", dcm);
    collection_image *row = malloc(sizeof *row);
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_find_by_path(c, p, row, err), 0, "%s", err);
    cr_assert_eq(collection_get_embedding(c, row->id, a, 24, err), 0, "%s",
                 err);
    collection_close(c);
    cr_assert_eq(e2e_sh("rm -rf '%s'", ws.coll), 0);
    r = add("bone");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_find_by_path(c, p, row, err), 0, "%s", err);
    cr_assert_eq(collection_get_embedding(c, row->id, b, 24, err), 0, "%s",
                 err);
    collection_close(c);
    free(row);
    float dot = 0;
    for (int i = 0; i < 24; i++) dot += a[i] * b[i];
    cr_assert_lt(dot, 0.9999f,
                 "lung and bone windows must reach the model differently");
}

/* ---- a real PACS ------------------------------------------------------- */

static char rig[800], url[900];

static int start_rig(void)
{
    snprintf(rig, sizeof rig, "%s/orthanc", ws.root);
    if (e2e_sh("'%s' check >/dev/null 2>&1", SYN_RIG) != 0) return 0;
    for (int i = 0; i < 5; i++) {
        int port = 20000 + (int)((getpid() * 11 + i * 991) % 20000);
        if (e2e_sh("'%s' start '%s' %d >/dev/null 2>&1", SYN_RIG, rig, port) ==
            0) {
            snprintf(url, sizeof url, "dicomweb+http://127.0.0.1:%d/dicom-web",
                     port);
            return 1;
        }
    }
    return 0;
}

/* `add --shard K/2` over DICOMweb: each instance lands in the shard its
 * SOP Instance UID hashes to (XXH3-64, seed 0, modulo N: indexer/shard.h),
 * the two shards hold the four instances once, and a re-run adds nothing. */
static void dicomweb_shards(const char *netrc)
{
    int64_t total = 0;
    for (int k = 0; k < 2; k++) {
        char dir[900], spec[8];
        snprintf(dir, sizeof dir, "%s/dicomweb-shard%d", ws.root, k);
        snprintf(spec, sizeof spec, "%d/2", k);
        const char *a[] = {"add", "-C", dir,       "-M",  ws.model, "--shard",
                           spec,  url,  "--netrc", netrc, NULL};
        for (int run = 0; run < 2; run++) {
            e2e_run r = e2e_exec("vlmindex", a);
            cr_assert_eq(r.status, 0, "shard %s: %s", spec, r.err);
            if (run == 1)
                cr_assert(strstr(r.out, "added 0,"), "re-run: %s", r.out);
            assert_no_phi("dicomweb shard add", r.out, r.out_len);
            e2e_run_free(&r);
        }
        total += e2e_counts(dir).images;
        char cmd[1100], uid[128];
        snprintf(cmd, sizeof cmd,
                 "sqlite3 '%s/collection.db' 'SELECT sop_uid FROM images'",
                 dir);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        while (fgets(uid, sizeof uid, p)) {
            uid[strcspn(uid, "\n")] = '\0';
            cr_assert(*uid, "a DICOMweb row without its SOP Instance UID");
            cr_assert_eq(XXH3_64bits(uid, strlen(uid)) % 2, (uint64_t)k,
                         "%s is in shard %d", uid, k);
        }
        pclose(p);
    }
    cr_assert_eq(total, 4, "the two shards hold %lld of the 4 instances",
                 (long long)total);
}

Test(cli_dicom, dicomweb_index_auth_and_incremental)
{
    if (!start_rig())
        cr_skip_test("Orthanc rig unavailable: apt-get install orthanc "
                     "orthanc-dicomweb");
    e2e_rig_upload(rig, dcm, "ct_1.dcm ct_2.dcm ct_3.dcm cr_sc.dcm");
    char netrc[900], bad[900];
    snprintf(netrc, sizeof netrc, "%s/netrc", rig);
    snprintf(bad, sizeof bad, "%s/bad-netrc", ws.root);
    cr_assert_eq(
        e2e_sh(
            "sed 's/password .*/password wrong/' '%s' > '%s' && chmod 600 '%s'",
            netrc, bad, bad),
        0);

    const char *wrong[] = {"add", "--collection", ws.coll, "--model", ws.model,
                           url,   "--netrc",      bad,     NULL};
    e2e_run r = e2e_exec("vlmindex", wrong);
    cr_assert_eq(r.status, 2, "a wrong password fails the command");
    cr_assert(strstr(r.err, "401"), "names the HTTP status: %s", r.err);
    e2e_run_free(&r);

    const char *ok[] = {"add", "--collection", ws.coll, "--model", ws.model,
                        url,   "--netrc",      netrc,   NULL};
    r = e2e_exec("vlmindex", ok);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "added 4,"), "%s", r.out);
    assert_no_phi("dicomweb add", r.out, r.out_len);
    assert_no_phi("dicomweb add stderr", r.err, strlen(r.err));
    e2e_run_free(&r);

    r = e2e_exec("vlmindex", ok);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "added 0,"), "a re-run fetches nothing new: %s",
              r.out);
    e2e_run_free(&r);
    dicomweb_shards(netrc);

    const char *q[] = {"--collection",
                       ws.coll,
                       "--model",
                       ws.model,
                       "--worklist",
                       "--format",
                       "jsonl",
                       "nodular lung shadow",
                       NULL};
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2, "%s", r.out);
    assert_no_phi("worklist", r.out, r.out_len);
    e2e_run_free(&r);
    assert_db_has_no_phi();

    /* Opt-in write-back: one UNVERIFIED Basic Text SR per study. */
    const char *sr[] = {"--collection",
                        ws.coll,
                        "--model",
                        ws.model,
                        "--worklist",
                        "--store-sr",
                        url,
                        "--netrc",
                        netrc,
                        "nodular lung shadow",
                        NULL};
    r = e2e_exec("vlmsearch", sr);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "stored 2 structured report"), "%s", r.err);
    assert_no_phi("store-sr stdout", r.out, r.out_len);
    assert_no_phi("store-sr stderr", r.err, strlen(r.err));
    e2e_run_free(&r);
    /* Each SR beside its study's images (one patient, one study), and
     * dciodvfy finds no error in any. */
    cr_assert_eq(e2e_sh("sh '%s' '%s' 2 >&2", SYN_SR_CHECK, rig), 0,
                 "SRs filed under the original patient and study");
    const char *http = strstr(url, "http://");
    cr_assert_eq(e2e_sh("curl -sf --netrc-file '%s' '%s/instances?Modality=SR' "
                        "| grep -q UNVERIFIED || "
                        "curl -sf --netrc-file '%s' "
                        "'%s/instances?Modality=SR&includefield=0040A493' | "
                        "grep -q UNVERIFIED",
                        netrc, http, netrc, http),
                 0, "the PACS holds the SRs");
    e2e_sh("'%s' stop '%s'", SYN_RIG, rig);
}
