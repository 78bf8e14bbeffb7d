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
    free(raw->values);
    free(raw->rgb);
    memset(raw, 0, sizeof *raw);
}
