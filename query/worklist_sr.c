/* worklist_store_sr: the PACS write-back of a worklist (explicit opt-in). */
#include "query/worklist.h"

#include "dicomweb/dicomweb.h"

int worklist_store_sr(const worklist_study *s, int n,
                      const worklist_context *ctx,
                      const struct dicomweb_opts *web, int *n_stored, char *err)
{
    dicomweb_client *cl = NULL;
    *n_stored = 0;
    int rc = dicomweb_client_create(web, &cl, err);
    for (int i = 0; !rc && i < n; i++) {
        dicom_sr_finding f = {s[i].best_series_uid, s[i].best_sop_uid,
                              s[i].score_max};
        dicom_sr_request req = {
            .study_uid = s[i].study_uid,
            .accession = s[i].accession,
            .study_date = s[i].study_date,
            .query = ctx->query,
            .model = ctx->model,
            .window = s[i].window,
            .findings = &f,
            .n_findings = 1,
        };
        rc = dicomweb_store_sr(cl, &req, NULL, err);
        *n_stored += !rc;
    }
    dicomweb_client_destroy(cl);
    return rc;
}
