/*
 * e2e_rig.h — the Orthanc rig (tests/dicom/orthanc-rig.sh) that the
 * DICOMweb and DIMSE end-to-end tests index from, and the synthetic DICOM
 * files (tests/dicom/fixtures_gen) they upload to it.
 */
#ifndef VLM_E2E_RIG_H
#define VLM_E2E_RIG_H

#include <stddef.h>

#include "tests/e2e/e2e_util.h"

/* Writes the synthetic DICOM files into <ws->root>/dicom and that folder's
 * path into dcm[n] (asserts the generator succeeds). */
void e2e_rig_dicom_files(const e2e_ws *ws, char *dcm, size_t n);

/* Uploads the space-separated files of folder dcm to the rig in folder
 * rig (asserts). */
void e2e_rig_upload(const char *rig, const char *dcm, const char *files);

/* A workspace with the synthetic DICOM files and, once started, a rig. */
typedef struct e2e_rig {
    e2e_ws ws;
    char dcm[700]; /* <ws.root>/dicom: the synthetic DICOM files */
    char dir[800]; /* <ws.root>/orthanc, holding its netrc; "" until started */
} e2e_rig;

/* The workspace (e2e_ws_init) and the files; for a TestSuite's .init. */
void e2e_rig_init(e2e_rig *r, const char *model_name);

/* Starts the rig on a free port, with its DIMSE port (HTTP port + 1) open
 * when dimse is non-zero.  Skips the current test when Orthanc is not
 * installed; asserts it starts.  Returns the HTTP port. */
int e2e_rig_start(e2e_rig *r, int dimse);

/* Stops the rig if it was started and removes the workspace. */
void e2e_rig_cleanup(e2e_rig *r);

#endif
