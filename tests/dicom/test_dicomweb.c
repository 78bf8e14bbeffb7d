/*
 * test_dicomweb.c — the DICOMweb client against a real Orthanc (started by
 * orthanc-rig.sh on loopback with authentication on, synthetic data
 * uploaded): paged QIDO finds every instance, rendered frames carry the
 * requested window, missing/wrong credentials fail with HTTP 401 and yield
 * nothing, a group-readable netrc is refused, re-runs can skip known
 * instances, patient fields never appear, and STOW-RS stores an SR.
 * Skips with a message when Orthanc is not installed.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dicomweb/dicomweb.h"
#include "model/dicom/dicom_writer.h"
#include "tests/dicom/dicom_test_util.h"
#include "tests/dicom/fixtures_gen/synthetic.h"

#define N_UPLOADED   6 /* ct_1..3, cr_sc, cr_mono1, rgb_sc */
#define STUDY_FILTER "ModalitiesInStudy=CT,CR"

static char rig_dir[256];

static const char *rig(void)
{
    const char *e = getenv("VLM_DICOM_RIG_ERR");
    if (e) cr_skip_test("Orthanc rig unavailable: %s", e);
    return getenv("VLM_DICOM_RIG");
}

static void base_url(char *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/port", rig());
    size_t len;
    char *port = (char *)read_all(path, &len);
    cr_assert(port, "rig port file");
    port[strcspn(port, "\n")] = '\0';
    snprintf(buf, cap, "dicomweb+http://127.0.0.1:%s/dicom-web/", port);
    free(port);
}

static dicomweb_opts opts_with_netrc(char *url, size_t cap, char *netrc,
                                     size_t ncap)
{
    base_url(url, cap);
    snprintf(netrc, ncap, "%s/netrc", rig());
    return (dicomweb_opts){.base_url = url,
                           .query = STUDY_FILTER,
                           .netrc_file = netrc,
                           .page_size = 2,
                           .backoff_ms = 10};
}

typedef struct walk_result {
    int yielded, ok, rc;
    char err[VLM_ERR_MAX];
    char sops[16][65];
} walk_result;

typedef void (*item_check)(const dicomweb_item *item, void *ctx);

static walk_result walk(const dicomweb_opts *o, dicomweb_want_fn want,
                        void *want_ctx, item_check check, void *ctx)
{
    walk_result r = {0};
    dicomweb_client *c;
    cr_assert_eq(dicomweb_client_create(o, &c, r.err), VLM_OK, "%s", r.err);
    dicomweb_iter *it;
    cr_assert_eq(dicomweb_iter_create(c, want, want_ctx, &it, r.err), VLM_OK);
    dicomweb_item item = {0};
    while ((r.rc = dicomweb_iter_next(it, &item, r.err)) == 1) {
        if (r.yielded < 16) memcpy(r.sops[r.yielded], item.hdr.sop_uid, 65);
        r.yielded++;
        r.ok += item.status == VLM_OK;
        cr_expect_eq(item.status, VLM_OK, "%s", item.error);
        if (check && item.status == VLM_OK) check(&item, ctx);
    }
    dicomweb_item_clear(&item);
    dicomweb_iter_destroy(it);
    dicomweb_client_destroy(c);
    return r;
}

static int grey(const img_rgb *im, int r, int c)
{
    return im->pixels[((size_t)r * im->width + c) * 3];
}

static void expect_near(int got, int want, const char *what, const char *sop)
{
    cr_expect(abs(got - want) <= 1, "%s: grey %d, expected %d (±1) [%s]", what,
              got, want, sop);
}

/* Per-instance checks of the rendered pixels under the default window. */
static void check_default(const dicomweb_item *it, void *ctx)
{
    (void)ctx;
    const dicom_header *h = &it->hdr;
    char text[2048];
    dicom_header_format(h, text, sizeof text);
    cr_expect(!strstr(text, "SECRET") && !strstr(text, SYN_BIRTH_DATE),
              "patient data leaked into the header text");
    const img_rgb *im = &it->image;
    if (!strcmp(h->modality, "CT")) {
        cr_expect(h->window.kind == DICOM_WINDOW_LUNG, "chest CT → lung");
        cr_assert_eq(im->width, SYN_CT_SIZE);
        expect_near(grey(im, SYN_PT_AIR),
                    dicom_window_apply_value(SYN_HU_AIR, -600, 1500), "air",
                    h->sop_uid);
        expect_near(grey(im, SYN_PT_LUNG),
                    dicom_window_apply_value(SYN_HU_LUNG, -600, 1500), "lung",
                    h->sop_uid);
        expect_near(grey(im, SYN_PT_SOFT),
                    dicom_window_apply_value(SYN_HU_SOFT, -600, 1500), "soft",
                    h->sop_uid);
        expect_near(grey(im, SYN_PT_BONE), 255, "bone", h->sop_uid);
    } else if (!h->windowed) {
        cr_expect(im->pixels[0] == 200 && im->pixels[1] == 100,
                  "RGB passes through");
    } else {
        int inv = !strcmp(h->photometric, "MONOCHROME1");
        cr_expect(h->window.kind == DICOM_WINDOW_FULL_RANGE);
        expect_near(grey(im, SYN_PT_CR_BG), inv ? 255 - SYN_CR_BG : SYN_CR_BG,
                    "CR bg", h->photometric);
        expect_near(grey(im, SYN_PT_CR_BOX),
                    inv ? 255 - SYN_CR_BOX : SYN_CR_BOX, "CR box",
                    h->photometric);
    }
}

Test(dicomweb, paged_search_finds_and_renders_every_instance)
{
    char url[256], netrc[512];
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    walk_result r = walk(&o, NULL, NULL, check_default, NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(r.yielded, N_UPLOADED, "page size 2 must still find all 6");
    cr_expect_eq(r.ok, N_UPLOADED);
    for (int i = 0; i < r.yielded; i++)
        for (int j = 0; j < i; j++)
            cr_expect(strcmp(r.sops[i], r.sops[j]), "instance %s twice",
                      r.sops[i]);
}

static void check_mediastinum(const dicomweb_item *it, void *ctx)
{
    (void)ctx;
    if (strcmp(it->hdr.modality, "CT")) return;
    cr_expect(it->hdr.window.center == 40 && it->hdr.window.width == 400);
    expect_near(grey(&it->image, SYN_PT_LUNG), 0, "lung", it->hdr.sop_uid);
    expect_near(grey(&it->image, SYN_PT_SOFT),
                dicom_window_apply_value(SYN_HU_SOFT, 40, 400), "soft",
                it->hdr.sop_uid);
}

Test(dicomweb, explicit_window_reaches_the_pixels)
{
    char url[256], netrc[512], err[VLM_ERR_MAX];
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    o.query = "ModalitiesInStudy=CT";
    o.accept = "image/png";
    cr_assert_eq(dicom_window_parse("40,400", &o.window, err), VLM_OK);
    walk_result r = walk(&o, NULL, NULL, check_mediastinum, NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(r.yielded, SYN_CT_INSTANCES);
}

static walk_result expect_refused(const dicomweb_opts *o)
{
    walk_result r = walk(o, NULL, NULL, NULL, NULL);
    cr_expect(r.rc < 0, "walk must fail");
    cr_expect_eq(r.yielded, 0, "nothing may be yielded");
    cr_expect(strstr(r.err, "HTTP 401") != NULL, "error names HTTP 401: %s",
              r.err);
    cr_expect(!strstr(r.err, "SECRET"));
    return r;
}

Test(dicomweb, missing_credentials_fail_with_401)
{
    char url[256];
    base_url(url, sizeof url);
    dicomweb_opts o = {.base_url = url, .query = STUDY_FILTER};
    walk_result r = expect_refused(&o);
    cr_expect(strstr(r.err, "no credentials") != NULL, "%s", r.err);
}

static void netrc_password(char *pw, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/netrc", rig());
    size_t len;
    char *t = (char *)read_all(path, &len);
    cr_assert(t);
    char *p = strstr(t, "password ");
    cr_assert(p);
    snprintf(pw, cap, "%s", p + 9);
    pw[strcspn(pw, " \n")] = '\0';
    free(t);
}

Test(dicomweb, wrong_credentials_fail_right_ones_work_from_env)
{
    char url[256], pw[128];
    base_url(url, sizeof url);
    dicomweb_opts o = {.base_url = url, .query = STUDY_FILTER};
    setenv("VLMINDEX_DICOMWEB_USER", "vlmtest", 1);
    setenv("VLMINDEX_DICOMWEB_PASSWORD", "wrong-password", 1);
    walk_result r = expect_refused(&o);
    cr_expect(strstr(r.err, "rejected") && !strstr(r.err, "wrong-password"),
              "%s", r.err);
    netrc_password(pw, sizeof pw);
    setenv("VLMINDEX_DICOMWEB_PASSWORD", pw, 1);
    r = walk(&o, NULL, NULL, NULL, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(r.yielded, N_UPLOADED);
}

Test(dicomweb, group_readable_netrc_is_refused)
{
    char url[256], netrc[512], copy[600], err[VLM_ERR_MAX] = "";
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    size_t len;
    unsigned char *t = read_all(netrc, &len);
    cr_assert(t);
    snprintf(copy, sizeof copy, "%s/netrc-%d", rig(), (int)getpid());
    cr_assert_eq(write_all(copy, t, len), 0);
    free(t);
    chmod(copy, 0644);
    o.netrc_file = copy;
    dicomweb_client *c = NULL;
    cr_expect_eq(dicomweb_client_create(&o, &c, err), VLM_EINVAL);
    cr_expect(c == NULL);
    cr_expect(strstr(err, "0644") && strstr(err, "chmod 600"), "%s", err);
    unlink(copy);
}

Test(dicomweb, unsafe_urls_and_queries_are_refused)
{
    char err[VLM_ERR_MAX];
    dicomweb_client *c = NULL;
    const dicomweb_opts bad[] = {
        {.base_url = "dicomweb+http://pacs.example.org/dicom-web"},
        {.base_url = "https://user:pw@pacs.example.org/dicom-web"},
        {.base_url = "ftp://pacs.example.org/"},
        {.base_url = "https://pacs.example.org/dicom-web",
         .query = "PatientName=DOE*"},
        {.base_url = "https://pacs.example.org/dicom-web",
         .query = "Modality=CT&00100020=1"},
        {.base_url = "https://pacs.example.org/dicom-web",
         .accept = "image/gif"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        cr_expect_eq(dicomweb_client_create(&bad[i], &c, err), VLM_EINVAL,
                     "case %zu", i);
        cr_expect(err[0] && !strstr(err, ":pw@"), "case %zu: %s", i, err);
    }
}

static int want_unseen(void *ctx, const dicom_header *h)
{
    const walk_result *first = ctx;
    for (int i = 0; i < first->yielded && i < 16; i++)
        if (!strcmp(first->sops[i], h->sop_uid)) return 0;
    return 1;
}

Test(dicomweb, rerun_skips_known_instances)
{
    char url[256], netrc[512];
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    walk_result first = walk(&o, NULL, NULL, NULL, NULL);
    cr_assert_eq(first.yielded, N_UPLOADED, "%s", first.err);
    walk_result second = walk(&o, want_unseen, &first, NULL, NULL);
    cr_expect_eq(second.rc, 0, "%s", second.err);
    cr_expect_eq(second.yielded, 0, "a re-run fetches nothing new");
}

/* A study the rig holds: the first instance a walk yields. */
static void some_study(const dicomweb_opts *o, char study[65])
{
    char err[VLM_ERR_MAX];
    dicomweb_client *c;
    cr_assert_eq(dicomweb_client_create(o, &c, err), VLM_OK, "%s", err);
    dicomweb_iter *it;
    cr_assert_eq(dicomweb_iter_create(c, NULL, NULL, &it, err), VLM_OK);
    dicomweb_item item = {0};
    cr_assert_eq(dicomweb_iter_next(it, &item, err), 1, "%s", err);
    memcpy(study, item.hdr.study_uid, 65);
    dicomweb_item_clear(&item);
    dicomweb_iter_destroy(it);
    dicomweb_client_destroy(c);
}

Test(dicomweb, stow_stores_an_unverified_sr_under_the_original_patient)
{
    char url[256], netrc[512], err[VLM_ERR_MAX], study[65], sop[65], cmd[1400];
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    some_study(&o, study);
    dicomweb_client *c;
    cr_assert_eq(dicomweb_client_create(&o, &c, err), VLM_OK, "%s", err);
    const dicom_sr_finding f[] = {{"1.2.3.4", "1.2.3.4.5", 0.3125}};
    const dicom_sr_request req = {.study_uid = study,
                                  .query = "nodular lung shadow",
                                  .model = "clip-tiny",
                                  .window = "lung -600,1500",
                                  .findings = f,
                                  .n_findings = 1};
    cr_assert_eq(dicomweb_store_sr(c, &req, sop, err), VLM_OK, "%s", err);
    cr_expect(!strstr(err, "SECRET"), "no patient data in messages");
    dicomweb_client_destroy(c);
    /* Read it back with curl: the study metadata holds the SR. */
    snprintf(cmd, sizeof cmd,
             "curl -sf --netrc-file '%s' '%sstudies/%s/metadata' > "
             "'%s/sr-%s.json' && "
             "grep -q UNVERIFIED '%s/sr-%s.json' && grep -q 'not a diagnosis' "
             "'%s/sr-%s.json'",
             netrc, url + strlen("dicomweb+"), study, rig(), sop, rig(), sop,
             rig(), sop);
    cr_expect_eq(system(cmd), 0, "SR not stored with UNVERIFIED + disclaimer");
    /* One patient, one study: the SR sits beside the images; dciodvfy. */
    snprintf(cmd, sizeof cmd, "sh '%s' '%s' >>'%s/rig.log' 2>&1", SYN_SR_CHECK,
             rig(), rig());
    cr_expect_eq(system(cmd), 0, "sr-check failed, see %s/rig.log", rig());
}

Test(dicomweb, no_sr_for_a_study_the_server_does_not_hold)
{
    char url[256], netrc[512], err[VLM_ERR_MAX], study[65], sop[65];
    dicomweb_opts o = opts_with_netrc(url, sizeof url, netrc, sizeof netrc);
    cr_assert_eq(dicom_uid_generate(study, err), VLM_OK);
    dicomweb_client *c;
    cr_assert_eq(dicomweb_client_create(&o, &c, err), VLM_OK, "%s", err);
    const dicom_sr_request req = {
        .study_uid = study, .query = "q", .model = "m", .window = "w"};
    cr_expect_eq(dicomweb_store_sr(c, &req, sop, err), VLM_ENOTFOUND);
    cr_expect(strstr(err, "holds no study"), "%s", err);
    dicomweb_client_destroy(c);
}

Test(dicomweb, sr_bytes_say_research_triage)
{
    char err[VLM_ERR_MAX], sop[65];
    uint8_t *bytes;
    size_t len;
    const dicom_sr_request req = {
        .study_uid = "1.2.3", .query = "q", .model = "m", .window = "w"};
    cr_assert_eq(dicom_sr_build(&req, &bytes, &len, sop, err), VLM_OK, "%s",
                 err);
    cr_expect(bytes_contain(bytes, len, "UNVERIFIED"));
    cr_expect(bytes_contain(bytes, len, DICOM_SR_DISCLAIMER));
    cr_expect(bytes_contain(bytes, len, sop));
    free(bytes);
    const dicom_sr_request none = {0};
    cr_expect_eq(dicom_sr_build(&none, &bytes, &len, sop, err), VLM_EINVAL);
}

static walk_result walk_expect_fail(const dicomweb_opts *o)
{
    walk_result r = walk(o, NULL, NULL, NULL, NULL);
    cr_expect(r.rc < 0 && r.yielded == 0, "walk must fail and yield nothing");
    return r;
}

Test(dicomweb, tls_is_always_verified_and_ca_file_is_honoured)
{
    char dir[] = "/tmp/vlm-tls-XXXXXX", cmd[700], url[128], ca[64];
    cr_assert(mkdtemp(dir));
    int port = 20000 + (int)((getpid() * 13) % 20000);
    snprintf(cmd, sizeof cmd, "sh '%s' start '%s' %d >'%s/start.log' 2>&1",
             SYN_TLS, dir, port, dir);
    if (system(cmd) != 0)
        cr_skip_test("openssl s_server stub did not start (see %s)", dir);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/dicom-web", port);
    dicomweb_opts o = {.base_url = url, .max_retries = -1};
    walk_result r = walk_expect_fail(&o);
    cr_expect(strstr(r.err, "certificate") != NULL, "self-signed refused: %s",
              r.err);
    snprintf(ca, sizeof ca, "%s/cert.pem", dir);
    o.ca_file = ca;
    r = walk_expect_fail(
        &o); /* TLS accepted; the stub's HTML is refused by its type */
    cr_expect(strstr(r.err, "Content-Type \"text/html\"") != NULL,
              "with CA: %s", r.err);
    snprintf(url, sizeof url, "https://localhost:%d/dicom-web", port);
    r = walk_expect_fail(&o); /* the certificate names 127.0.0.1 only */
    cr_expect(strstr(r.err, "certificate") || strstr(r.err, "SSL"),
              "host name checked: %s", r.err);
    snprintf(cmd, sizeof cmd, "sh '%s' stop '%s'; rm -rf '%s'", SYN_TLS, dir,
             dir);
    cr_expect_eq(system(cmd), 0);
}

/* Orthanc's own HTTPS (SslEnabled; orthanc-rig.sh ... tls), verification
 * on: the right CA works end to end, a wrong CA or none fails clearly, and
 * plain http:// to a non-loopback host is refused before any connection. */
Test(dicomweb, https_against_orthanc_own_tls)
{
    rig();
    char dir[] = "/tmp/vlm-tlsrig-XXXXXX", cmd[1400], url[128], ca[64];
    char ct[600], err[VLM_ERR_MAX];
    cr_assert(mkdtemp(dir));
    cr_assert(syn_path("ct_1.dcm", ct, sizeof ct), "%s", syn_error());
    int port = 20000 + (int)((getpid() * 17 + 5) % 20000), ok = 0;
    for (int i = 0; i < 5 && !ok; i++, port++) {
        snprintf(cmd, sizeof cmd,
                 "sh '%s' start '%s' %d tls >>'%s/rig.log' 2>&1 && "
                 "sh '%s' upload '%s' '%s' >>'%s/rig.log' 2>&1",
                 SYN_RIG, dir, port, dir, SYN_RIG, dir, ct, dir);
        ok = system(cmd) == 0;
    }
    cr_assert(ok, "Orthanc with SslEnabled did not start (see %s/rig.log)",
              dir);
    char netrc[96];
    snprintf(netrc, sizeof netrc, "%s/netrc", dir);
    snprintf(url, sizeof url, "dicomweb+https://127.0.0.1:%d/dicom-web",
             port - 1);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    dicomweb_opts o = {.base_url = url, .ca_file = ca, .netrc_file = netrc};
    walk_result r = walk(&o, NULL, NULL, NULL, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(r.ok, 1, "the CT slice over HTTPS: %s", r.err);
    snprintf(ca, sizeof ca, "%s/wrong-ca.pem", dir);
    o.max_retries = -1;
    r = walk_expect_fail(&o);
    cr_expect(strstr(r.err, "TLS certificate verification failed") &&
                  strstr(r.err, "--ca-file"),
              "wrong CA: %s", r.err);
    o.ca_file = NULL;
    r = walk_expect_fail(&o);
    cr_expect(strstr(r.err, "TLS certificate verification failed"),
              "system CAs only: %s", r.err);
    dicomweb_client *c = NULL;
    o.base_url = "dicomweb+http://192.0.2.10/dicom-web";
    cr_expect_eq(dicomweb_client_create(&o, &c, err), VLM_EINVAL);
    cr_expect(strstr(err, "only https:// is allowed"), "%s", err);
    snprintf(cmd, sizeof cmd, "sh '%s' stop '%s'; rm -rf '%s'", SYN_RIG, dir,
             dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---- rig lifecycle ------------------------------------------------------ */

/* Runs orthanc-rig.sh ACTION ARGS, output appended to the rig log. */
static int rig_cmd(const char *action, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "sh '%s' %s '%s' %s >>'%s/rig.log' 2>&1", SYN_RIG,
             action, rig_dir, args, rig_dir);
    return system(cmd);
}

static void rig_setup(void)
{
    char files[1600] = "", port[16], cmd[700];
    snprintf(rig_dir, sizeof rig_dir, "/tmp/vlm-rig-XXXXXX");
    snprintf(cmd, sizeof cmd, "sh '%s' check 2>/dev/null", SYN_RIG);
    if (!mkdtemp(rig_dir) || system(cmd) != 0) {
        setenv("VLM_DICOM_RIG_ERR",
               "Orthanc or orthanc-dicomweb is not "
               "installed (apt-get install orthanc orthanc-dicomweb)",
               1);
        return;
    }
    int started = 0;
    for (int i = 0; i < 5 && !started; i++) { /* a port may be taken */
        snprintf(port, sizeof port, "%d",
                 20000 + (int)((getpid() * 7 + i * 997) % 20000));
        started = rig_cmd("start", port) == 0;
    }
    const char *dir = getenv("VLM_DICOM_SYN");
    static const char *const names[] = {"ct_1",  "ct_2",     "ct_3",
                                        "cr_sc", "cr_mono1", "rgb_sc"};
    for (size_t i = 0; dir && i < 6; i++) {
        size_t n = strlen(files);
        snprintf(files + n, sizeof files - n, " '%s/%s.dcm'", dir, names[i]);
    }
    if (!started || !dir || rig_cmd("upload", files) != 0) {
        setenv("VLM_DICOM_RIG_ERR",
               "could not start Orthanc or upload the "
               "synthetic data (see rig.log in the rig dir)",
               1);
        return;
    }
    setenv("VLM_DICOM_RIG", rig_dir, 1);
}

static int remove_entry(const char *p, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rig_teardown(void)
{
    if (!rig_dir[0]) return;
    rig_cmd("stop", "");
    if (!getenv("VLM_DICOM_KEEP"))
        nftw(rig_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    struct criterion_test_set *tests = criterion_initialize();
    int rc = 0;
    static const char *const CREDS[] = {
        "VLMINDEX_DICOMWEB_USER", "VLMINDEX_DICOMWEB_PASSWORD",
        "VLMINDEX_DICOMWEB_TOKEN", "VLMINDEX_DICOMWEB_NETRC"};
    for (size_t i = 0; i < 4; i++) unsetenv(CREDS[i]);
    if (criterion_handle_args(argc, argv, true)) {
        syn_setup();
        rig_setup();
        rc = !criterion_run_all_tests(tests);
        rig_teardown();
        syn_teardown();
    }
    criterion_finalize(tests);
    return rc;
}
