/*
 * test_cli_dimse.c — `vlmindex add dimse://...` against Orthanc's DICOM
 * port (tests/dicom/orthanc-rig.sh ... dimse): C-FIND + C-GET through
 * DCMTK index the same instances as the DICOMweb source from the same
 * Orthanc (equal SOP UIDs, bit-equal embeddings), a re-run fetches nothing,
 * no patient data reaches the output or the collection, and bad URLs or
 * query keys fail with a clear message.  Also the nightly batch over
 * DIMSE.  Skips without Orthanc.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/dicom/fixtures_gen/synthetic.h"
#include "tests/e2e/e2e_rig.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_rig rig;
static char web[900], dimse[300];

static void setup(void) { e2e_rig_init(&rig, MODEL); }
static void teardown(void) { e2e_rig_cleanup(&rig); }

TestSuite(cli_dimse, .init = setup, .fini = teardown, .timeout = 300);

static void start_rig(void)
{
    int port = e2e_rig_start(&rig, 1);
    snprintf(web, sizeof web, "dicomweb+http://127.0.0.1:%d/dicom-web", port);
    snprintf(dimse, sizeof dimse, "dimse://VLMTEST@127.0.0.1:%d", port + 1);
    e2e_rig_upload(rig.dir, rig.dcm,
                   "ct_1.dcm ct_2.dcm ct_3.dcm cr_sc.dcm cr_mono1.dcm "
                   "rgb_sc.dcm");
}

static e2e_run add(const char *coll, const char *source, const char *extra)
{
    char netrc[900];
    snprintf(netrc, sizeof netrc, "%s/netrc", rig.dir);
    const char *args[] = {
        "add",        "--collection", coll,      "--model",
        rig.ws.model, source,         "--query", "ModalitiesInStudy=CT,CR",
        "--netrc",    netrc,          extra,     NULL};
    return e2e_exec("vlmindex", args);
}

static void no_phi(const char *what, const char *buf, size_t len)
{
    const char *phi[] = {"TESTPATIENT", "SECRET", SYN_PATIENT_ID,
                         SYN_BIRTH_DATE};
    for (int i = 0; i < 4; i++)
        cr_expect_null(memmem(buf, len, phi[i], strlen(phi[i])),
                       "%s leaks '%s'", what, phi[i]);
}

Test(cli_dimse, same_instances_and_embeddings_as_dicomweb)
{
    start_rig();
    char a[900], b[900];
    snprintf(a, sizeof a, "%s/web", rig.ws.root);
    snprintf(b, sizeof b, "%s/dimse", rig.ws.root);
    e2e_run r = add(a, web, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "added 6,"), "%s", r.out);
    e2e_run_free(&r);
    r = add(b, dimse, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "added 6,"), "%s", r.out);
    no_phi("dimse add stdout", r.out, r.out_len);
    no_phi("dimse add stderr", r.err, strlen(r.err));
    e2e_run_free(&r);
    /* Equal SOP UIDs and bit-equal embeddings, row by row. */
    const char *sql = "select sop_uid, hex(embedding) from images "
                      "where status = 'ok' order by sop_uid";
    cr_assert_eq(e2e_sh("sqlite3 '%s/collection.db' \"%s\" > '%s/a.txt' && "
                        "sqlite3 '%s/collection.db' \"%s\" > '%s/b.txt' && "
                        "[ $(wc -l < '%s/a.txt') -eq 6 ] && "
                        "cmp '%s/a.txt' '%s/b.txt'",
                        a, sql, rig.ws.root, b, sql, rig.ws.root, rig.ws.root,
                        rig.ws.root, rig.ws.root),
                 0, "DIMSE and DICOMweb rows differ");
    cr_expect_eq(e2e_sh("grep -rlaE 'TESTPATIENT|SECRET|%s|%s' '%s' >&2",
                        SYN_PATIENT_ID, SYN_BIRTH_DATE, b),
                 1, "no patient data in the DIMSE collection");
    r = add(b, dimse, NULL);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "added 0,") && strstr(r.out, "unchanged 6"),
              "a re-run fetches nothing: %s", r.out);
    e2e_run_free(&r);
}

Test(cli_dimse, bad_urls_and_keys_fail_clearly)
{
    char c[900];
    snprintf(c, sizeof c, "%s/c", rig.ws.root);
    struct {
        const char *url, *query, *says;
    } cases[] = {
        {"dimse://127.0.0.1:104", "StudyDate=2024", "no called AE title"},
        {"dimse://PACS@127.0.0.1:0", "StudyDate=2024", "bad host or port"},
        {"dimse://PACS@127.0.0.1:104?colour=1", "StudyDate=2024",
         "unknown parameter"},
        {"dimse://WAY_TOO_LONG_AE_TITLE@127.0.0.1:104", "StudyDate=2024",
         "1-16 printable"},
        {"dimse://PACS@127.0.0.1:104", "PatientID=42", "not a study-level"},
        {"dimse://PACS@127.0.0.1:9", "StudyDate=2024", "association"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"add",     "--collection", c,
                              "--model", rig.ws.model,   cases[i].url,
                              "--query", cases[i].query, NULL};
        e2e_run r = e2e_exec("vlmindex", args);
        cr_expect_eq(r.status, 2, "%s", cases[i].url);
        cr_expect(strstr(r.err, cases[i].says), "%s: %s", cases[i].url, r.err);
        e2e_run_free(&r);
    }
}

Test(cli_dimse, nightly_batch_over_dimse)
{
    start_rig();
    const char *build = getenv("VLM_BUILD_DIR");
    char job[900];
    snprintf(job, sizeof job, "%s/dimse.job", rig.ws.root);
    FILE *f = fopen(job, "w");
    cr_assert(f);
    fprintf(f,
            "SOURCE=%s\nFILTER=ModalitiesInStudy=CT,CR\nDAYS=2\n"
            "END_DATE=20240306\nMODEL=%s\nLABELS=%s/labels.txt\n"
            "OUT_DIR=%s/out\nSTATE_DIR=%s/state\nFORMAT=jsonl\n"
            "VLMINDEX=%s/bin/vlmindex\nVLMSEARCH=%s/bin/vlmsearch\n",
            dimse, rig.ws.model, rig.ws.root, rig.ws.root, rig.ws.root, build,
            build);
    fclose(f);
    cr_assert_eq(e2e_sh("printf 'nodular lung shadow\\n' > '%s/labels.txt'",
                        rig.ws.root),
                 0);
    cr_assert_eq(e2e_sh("'%s/scripts/pacs-nightly' '%s' 2>/dev/null",
                        getenv("VLM_SOURCE_DIR"), job),
                 0, "see %s/state/logs", rig.ws.root);
    cr_expect_eq(e2e_sh("[ $(grep -c 'not a diagnosis' "
                        "'%s/out/worklist-20240306.jsonl') -eq 2 ]",
                        rig.ws.root),
                 0, "one row per study (CT, CR)");
    cr_expect_eq(e2e_sh("grep -rlaE 'TESTPATIENT|SECRET|%s|%s' '%s/out' "
                        "'%s/state' >&2",
                        SYN_PATIENT_ID, SYN_BIRTH_DATE, rig.ws.root,
                        rig.ws.root),
                 1, "no patient data in any batch file");
}
