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

/* Starts a rig in <ws->root>/orthanc (its folder, holding the netrc, into
 * rig[n]) on a free port, with its DIMSE port (HTTP port + 1) open when
 * dimse is non-zero.  Skips the current test when Orthanc is not
 * installed (rig[0] is then ""); asserts it starts.  Returns the HTTP
 * port. */
int e2e_rig_start(const e2e_ws *ws, int dimse, char *rig, size_t n);

/* Uploads the space-separated files of folder dcm to the rig (asserts). */
void e2e_rig_upload(const char *rig, const char *dcm, const char *files);

/* Stops a rig started by e2e_rig_start; does nothing when rig is "". */
void e2e_rig_stop(const char *rig);

#endif
