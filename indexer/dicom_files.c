#include "indexer/dicom_files.h"

int dicom_files_store(collection *c, int64_t id, const dicom_header *h,
                      char *err)
{
    if (!h) return VLM_OK;
    char window[64] = "";
    if (h->windowed) dicom_window_describe(&h->window, window, sizeof window);
    collection_dicom d = {
        .image_id = id,
        .study_uid = h->study_uid,
        .series_uid = h->series_uid,
        .sop_uid = h->sop_uid,
        .accession = h->accession,
        .modality = h->modality,
        .body_part = h->body_part,
        .study_date = h->study_date,
        .series_description = h->series_description,
        .instance_number = h->instance_number,
        .window = window[0] ? window : NULL,
    };
    return collection_put_dicom(c, &d, err);
}
