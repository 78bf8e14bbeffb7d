/*
 * test_cli_pacs_batch.c — scripts/pacs-nightly end to end against the
 * Orthanc rig (tests/dicom/orthanc-rig.sh): query a date window over
 * DICOMweb, index, classify into a worklist, write SRs back; then check
 * the worklist (0600, one row per study), the SRs (sr-check.sh: under the
 * original patient and study, dciodvfy 0 errors), that no patient name,
 * ID or birth date is in any file the batch wrote (worklist, log,
 * collection), that a re-run is incremental and writes no SR twice, and
 * the exit codes cron/systemd see.  Skips without Orthanc.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/dicom/fixtures_gen/synthetic.h"
#include "tests/e2e/e2e_rig.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_rig rig;
static char url[900];

static void setup(void) { e2e_rig_init(&rig, MODEL); }
static void teardown(void) { e2e_rig_cleanup(&rig); }

TestSuite(cli_pacs_batch, .init = setup, .fini = teardown, .timeout = 300);

static void start_rig(void)
{
    int port = e2e_rig_start(&rig, 0);
    snprintf(url, sizeof url, "dicomweb+http://127.0.0.1:%d/dicom-web", port);
    e2e_rig_upload(rig.dir, rig.dcm, "ct_1.dcm ct_2.dcm ct_3.dcm cr_sc.dcm");
}

/* The job file: the synthetic studies are dated 2024-03-05. */
static void write_job(const char *path, const char *source,
                      const char *end_date, const char *extra)
{
    const char *build = getenv("VLM_BUILD_DIR");
    cr_assert(build);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f,
            "# nightly chest triage (test)\n"
            "SOURCE=%s\nFILTER=ModalitiesInStudy=CT,CR\nDAYS=2\n"
            "END_DATE=%s\nNETRC=%s/netrc\nMODEL=%s\nLABELS=%s/labels.txt\n"
            "OUT_DIR=%s/out\nSTATE_DIR=%s/state\nSTORE_SR=yes\n"
            "DEADLINE=120\nVLMINDEX=%s/bin/vlmindex\n"
            "VLMSEARCH=%s/bin/vlmsearch\n%s",
            source, end_date, rig.dir, rig.ws.model, rig.ws.root, rig.ws.root,
            rig.ws.root, build, build, extra);
    fclose(f);
}

static int nightly(const char *job)
{
    return e2e_sh("'%s/scripts/pacs-nightly' '%s' 2>>'%s/batch.stderr'",
                  getenv("VLM_SOURCE_DIR"), job, rig.ws.root);
}

static int grep_count(const char *pattern, const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "grep -c '%s' %s", pattern, path);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

Test(cli_pacs_batch, nightly_over_dicomweb_end_to_end)
{
    start_rig();
    char job[900], out[900];
    /* One label: every image's top label, so every study is listed. */
    cr_assert_eq(e2e_sh("printf 'nodular lung shadow\\n' > '%s/labels.txt'",
                        rig.ws.root),
                 0);
    snprintf(job, sizeof job, "%s/chest.job", rig.ws.root);
    write_job(job, url, "20240306", "");
    cr_assert_eq(nightly(job), 0, "see %s/state/logs", rig.ws.root);

    snprintf(out, sizeof out, "%s/out/worklist-20240306.csv", rig.ws.root);
    struct stat st;
    cr_assert_eq(stat(out, &st), 0, "worklist written");
    cr_expect_eq(st.st_mode & 0777, 0600);
    cr_expect_eq(grep_count("not a diagnosis", out), 2,
                 "one row per study (CT, CR), each marked research triage");
    cr_expect_eq(e2e_sh("sh '%s' '%s' 2 >&2", SYN_SR_CHECK, rig.dir), 0,
                 "two SRs, under the original patient and study, valid");
    cr_expect_eq(e2e_sh("grep -rlaE 'TESTPATIENT|SECRET|%s|%s' '%s/out' "
                        "'%s/state' '%s/batch.stderr' >&2",
                        SYN_PATIENT_ID, SYN_BIRTH_DATE, rig.ws.root,
                        rig.ws.root, rig.ws.root),
                 1, "no patient name, ID or birth date in any batch file");

    /* Same night again: nothing new to fetch, no second set of SRs. */
    cr_assert_eq(nightly(job), 0);
    cr_expect_eq(
        e2e_sh("grep -q 'added 0,' '%s'/state/logs/*.log", rig.ws.root), 0);
    cr_expect_eq(
        e2e_sh("grep -q 'already written' '%s'/state/logs/*.log", rig.ws.root),
        0);
    cr_expect_eq(e2e_sh("sh '%s' '%s' 2 >&2", SYN_SR_CHECK, rig.dir), 0);

    /* Another window: nothing that night, an empty worklist, exit 0. */
    write_job(job, url, "20240301", "");
    cr_assert_eq(nightly(job), 0);
    snprintf(out, sizeof out, "%s/out/worklist-20240301.csv", rig.ws.root);
    cr_expect_eq(grep_count("not a diagnosis", out), 0);
}

Test(cli_pacs_batch, exit_codes_for_cron_and_systemd)
{
    char job[900];
    cr_assert_eq(e2e_sh("printf 'x\\n' > '%s/labels.txt'", rig.ws.root), 0);
    snprintf(job, sizeof job, "%s/bad.job", rig.ws.root);
    write_job(job, "dicomweb+http://127.0.0.1:9/dicom-web", "20240306",
              "COLOUR=blue\n");
    cr_expect_eq(nightly(job), 64, "an unknown key is a usage error");
    write_job(job, "dicomweb+http://127.0.0.1:9/dicom-web", "20240306",
              "FILTER=PatientID=123\n");
    cr_expect_eq(nightly(job), 64, "patient keys are refused");
    write_job(job, "dicomweb+http://127.0.0.1:9/dicom-web", "20240306", "");
    cr_expect_eq(nightly(job), 75, "an unreachable PACS: try again later");
    cr_expect_eq(e2e_sh("'%s/scripts/pacs-nightly' '%s/none.job' 2>/dev/null",
                        getenv("VLM_SOURCE_DIR"), rig.ws.root),
                 64);
}
