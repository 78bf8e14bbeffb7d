/*
 * dicom_raw.c — dicom_raw_free, compiled into both the static DICOM library
 * and the GDCM module (each side frees what the other may have allocated;
 * both use the same C allocator).
 */
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_shim.h"

void dicom_raw_free(dicom_raw *raw)
{
    if (!raw) return;
    free(raw->frame);
    free(raw->modality_lut.data);
    free(raw->voi_lut.data);
    for (int c = 0; c < 3; c++) free(raw->palette[c].data);
    memset(raw, 0, sizeof *raw);
}
