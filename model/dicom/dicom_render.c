/*
 * dicom_render.c — what the model sees for any input file before resizing:
 * DICOM (recognised by content) through the DICOM display pipeline, other
 * images through the photo decoder at full resolution.  Backs `vlmindex
 * render`.
 */
#include <string.h>

#include "model/dicom/dicom.h"

int dicom_render_file(const char *path, const dicom_load_opts *opts,
                      img_rgb *out, dicom_header *hdr, int *is_dicom, char *err)
{
    dicom_header scratch;
    if (!hdr) hdr = &scratch;
    memset(hdr, 0, sizeof *hdr);
    memset(out, 0, sizeof *out);
    int sniff = dicom_sniff_file(path, err);
    *is_dicom = sniff > 0;
    if (sniff < 0) return sniff;
    if (sniff) return dicom_load_file(path, opts, out, hdr, err);
    return img_decode_file(path, NULL, out, NULL, err);
}
