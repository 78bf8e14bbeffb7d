#include "indexer/dicom_files.h"

#include <stdlib.h>

static int decode_dicom(const void *bytes, size_t len, const char *path,
                        img_rgb *out, img_info *info, void **data, void *user,
                        char *err)
{
    const dicom_files *df = user;
    if (!dicom_sniff(bytes, len)) return VLM_EUNSUPPORTED;
    dicom_header *hdr = calloc(1, sizeof *hdr);
    if (!hdr) return VLM_ENOMEM;
    dicom_load_opts o = {.window = df->window};
    int rc = dicom_load_memory(bytes, len, path, &o, out, hdr, err);
    if (rc) {
        free(hdr);
        return rc;
    }
    info->width = out->width;
    info->height = out->height;
    info->orientation = 1;
    *data = hdr;
    return VLM_OK;
}

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

static int after_put(void *user, collection *c, int64_t id,
                     const decode_result *r, char *err)
{
    (void)user;
    return dicom_files_store(c, id, r->extra_data, err);
}

void dicom_files_attach(dicom_files *df, indexer_options *o)
{
    o->extra_decoder = decode_dicom;
    o->extra_user = df;
    o->extra_free = free;
    o->extra_format = "dicom";
    o->after_put = after_put;
}
