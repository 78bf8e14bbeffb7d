/*
 * dicom_header.c — text form of dicom_header (no patient fields exist to
 * print: the struct has none).
 */
#include <stdio.h>

#include "model/dicom/dicom.h"

void dicom_header_format(const dicom_header *h, char *buf, size_t cap)
{
    char win[64] = "none (colour)";
    if (h->windowed) dicom_window_describe(&h->window, win, sizeof win);
    snprintf(buf, cap,
             "study_uid=%s\nseries_uid=%s\nsop_uid=%s\nsop_class_uid=%s\n"
             "accession=%s\nmodality=%s\nbody_part=%s\nstudy_date=%s\n"
             "series_description=%s\ninstance_number=%d\nrows=%d\ncols=%d\n"
             "frames=%d\nphotometric=%s\ntransfer_syntax=%s\nwindow=%s\n",
             h->study_uid, h->series_uid, h->sop_uid, h->sop_class_uid,
             h->accession, h->modality, h->body_part, h->study_date,
             h->series_description, h->instance_number, h->rows, h->cols,
             h->frames, h->photometric, h->transfer_syntax, win);
}
