#include "tests/e2e/e2e_rig.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

void e2e_rig_dicom_files(const e2e_ws *ws, char *dcm, size_t n)
{
    snprintf(dcm, n, "%s/dicom", ws->root);
    cr_assert_eq(e2e_sh("mkdir -p '%s' && '%s' '%s' >/dev/null", dcm,
                        SYN_GENERATOR, dcm),
                 0);
}

void e2e_rig_upload(const char *rig, const char *dcm, const char *files)
{
    cr_assert_eq(
        e2e_sh("cd '%s' && '%s' upload '%s' %s", dcm, SYN_RIG, rig, files), 0,
        "upload %s", files);
}

void e2e_rig_init(e2e_rig *r, const char *model_name)
{
    r->dir[0] = '\0';
    e2e_ws_init(&r->ws, model_name);
    e2e_rig_dicom_files(&r->ws, r->dcm, sizeof r->dcm);
}

int e2e_rig_start(e2e_rig *r, int dimse)
{
    snprintf(r->dir, sizeof r->dir, "%s/orthanc", r->ws.root);
    if (e2e_sh("'%s' check >/dev/null 2>&1", SYN_RIG) != 0) {
        r->dir[0] = '\0';
        cr_skip_test("Orthanc rig unavailable: apt-get install orthanc "
                     "orthanc-dicomweb");
    }
    /* Ports below 39000 leave room for the DIMSE port one above. */
    for (int i = 0; i < 5; i++) {
        int port = 20000 + (int)((getpid() * 19 + i * 641) % 19000);
        if (e2e_sh("'%s' start '%s' %d %s >/dev/null 2>&1", SYN_RIG, r->dir,
                   port, dimse ? "dimse" : "") == 0)
            return port;
    }
    cr_assert_fail("Orthanc did not start");
    return 0;
}

void e2e_rig_cleanup(e2e_rig *r)
{
    if (r->dir[0]) e2e_sh("'%s' stop '%s'", SYN_RIG, r->dir);
    e2e_ws_cleanup(&r->ws);
}
