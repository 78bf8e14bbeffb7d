/*
 * dicom.h — read one DICOM Part-10 file into an 8-bit RGB image plus the few
 * header fields an image index needs.
 *
 * Recognition is by content, never by file name: a 128-byte preamble +
 * "DICM", or a bare data set (no preamble, as old archives and ACR-NEMA
 * style writers leave them) whose first element is a group 0x0008 tag.
 * Pixel data is decoded by GDCM (uncompressed, deflated, RLE, JPEG
 * baseline/extended/lossless, JPEG-LS, JPEG 2000) behind a small C++ shim;
 * the display pipeline is the standard's (PS3.3 C.7.6.3, C.11, PS3.4 N.2):
 * greyscale goes through the Modality LUT (sequence or rescale), the VOI
 * (window with the LINEAR / LINEAR_EXACT / SIGMOID function, or a VOI LUT
 * sequence) and MONOCHROME1 inversion; PALETTE COLOR and supplemental
 * palettes through their lookup tables; YBR_* is converted to RGB; samples
 * wider than 8 bits are scaled to 8.  Multi-frame objects give their first
 * frame (with that frame's functional-group window and rescale).
 *
 * PHI rule: PatientName, PatientID and PatientBirthDate are never copied into
 * any struct here, never printed and never put into error messages.  The
 * header struct deliberately has no field for them.
 */
#ifndef VLM_DICOM_H
#define VLM_DICOM_H

#include <stddef.h>

#include "model/core/vlm_error.h"
#include "model/image/image.h"

/* ---- recognition -------------------------------------------------------- */

#define DICOM_SNIFF_BYTES 132 /* bytes dicom_sniff needs to decide */

/* 1 if the bytes start with a 128-byte preamble followed by "DICM", or
 * with a bare data set: a group 0x0008 element, in implicit VR little
 * endian or explicit VR little/big endian, whose encoding is consistent for
 * the elements that fit in `len` (pass at least DICOM_SNIFF_BYTES). */
int dicom_sniff(const void *bytes, size_t len);

/* Same for a file: 1 = DICOM, 0 = not DICOM (or too short), <0 on I/O error. */
int dicom_sniff_file(const char *path, char *err);

/* ---- VOI window --------------------------------------------------------- */

typedef enum dicom_window_kind {
    DICOM_WINDOW_DEFAULT =
        0,             /* choose per modality, see dicom_window_resolve */
    DICOM_WINDOW_LUNG, /* C -600, W 1500 (HU) */
    DICOM_WINDOW_MEDIASTINUM, /* C 40,   W 400  (HU) */
    DICOM_WINDOW_BONE,        /* C 400,  W 1800 (HU) */
    DICOM_WINDOW_STORED,      /* first WindowCenter/Width in the file */
    DICOM_WINDOW_EXPLICIT,    /* center/width given by the caller */
    DICOM_WINDOW_FULL_RANGE, /* all values BitsStored can hold, after rescale */
    DICOM_WINDOW_MINMAX,     /* lowest..highest value of the decoded frame */
    DICOM_WINDOW_STORED_LUT, /* the file's VOI LUT Sequence (first table) */
} dicom_window_kind;

/* VOI LUT Function (0028,1056), PS3.3 C.11.2.1.2 and C.11.2.1.3. */
typedef enum dicom_voi_function {
    DICOM_VOI_LINEAR = 0,
    DICOM_VOI_LINEAR_EXACT,
    DICOM_VOI_SIGMOID,
} dicom_voi_function;

typedef struct dicom_window {
    dicom_window_kind kind;
    double center, width;        /* used for EXPLICIT; filled in by resolve */
    dicom_voi_function function; /* LINEAR unless given or stored */
} dicom_window;

/* Parse "lung", "mediastinum", "bone", "stored", "full", "minmax",
 * "default" or "C,W[,FUNCTION]" (e.g. "-600,1500" or "40,400,sigmoid";
 * FUNCTION is linear, linear-exact or sigmoid as in DICOMweb's window=
 * parameter; LINEAR needs width >= 1, the others width > 0). */
int dicom_window_parse(const char *text, dicom_window *out, char *err);

/* Name of a VOI function: "linear", "linear-exact", "sigmoid". */
const char *dicom_voi_function_name(dicom_voi_function f);

/* Name of a kind: "lung", ..., "explicit". */
const char *dicom_window_kind_name(dicom_window_kind k);

/* What an image needs to know to turn a requested window into numbers. */
typedef struct dicom_window_context {
    char modality[17];  /* "CT", "CR", ... (may be "") */
    char body_part[17]; /* BodyPartExamined (may be "") */
    int has_stored;     /* 1 if the file/server gave a window */
    double stored_center, stored_width;
    double range_lo, range_hi; /* modality-unit range of BitsStored values */
    /* Appended with the VOI LUT / float support: */
    dicom_voi_function stored_function; /* VOI LUT Function of the file */
    int has_voi_lut;                    /* a VOI LUT Sequence is usable */
    double data_lo, data_hi; /* lowest/highest modality value of the frame */
    /* 1: fall back to min..max rather than the full range (float pixel
     * data, more than 16 bits stored: the full range means nothing). */
    int minmax_fallback;
} dicom_window_context;

/* Turn `req` into a concrete window (kind and center/width filled in).
 * Defaults: CT with BodyPartExamined CHEST/LUNG/THORAX or empty → lung;
 * other CT → stored window, else mediastinum (soft tissue 40/400);
 * every other modality → stored window, else the full range.  "Stored"
 * is the first WindowCenter/Width (with the file's VOI LUT Function), else
 * the first VOI LUT Sequence table (kind STORED_LUT).  Where the full
 * range means nothing (float pixel data, more than 16 bits stored) the
 * fallback is MINMAX instead.  STORED without a stored window falls back
 * the same way as DEFAULT would, minus the lung rule; the resolved kind
 * says what was used. */
void dicom_window_resolve(const dicom_window *req,
                          const dicom_window_context *ctx, dicom_window *out);

/* Text for logs and worklists, e.g. "lung -600,1500". */
void dicom_window_describe(const dicom_window *w, char *buf, size_t cap);

/* The PS3.3 C.11.2.1.2 linear function, rounded to the nearest grey level:
 * exposed so tests and callers can compute expected values. */
int dicom_window_apply_value(double value, double center, double width);

/* The window's function (LINEAR, LINEAR_EXACT or SIGMOID) at `value`,
 * output range 0..255, rounded to the nearest grey level. */
int dicom_window_apply(double value, const dicom_window *w);

/* ---- header ------------------------------------------------------------- */

typedef struct dicom_header {
    char study_uid[65], series_uid[65], sop_uid[65], sop_class_uid[65];
    char accession[17];
    char modality[17];
    char body_part[17];
    char study_date[9]; /* YYYYMMDD or "" */
    char series_description[65];
    int instance_number; /* 0 when absent */
    int rows, cols;
    int frames;           /* NumberOfFrames (1 when absent) */
    char photometric[17]; /* "MONOCHROME2", "RGB", ... */
    char transfer_syntax[65];
    dicom_window window; /* the window applied (unused when windowed == 0) */
    int windowed;        /* 0 for colour images (no VOI applied) */
} dicom_header;

/* Print the header as "key=value" lines (used by tests and `--verbose`). */
void dicom_header_format(const dicom_header *h, char *buf, size_t cap);

/* ---- loading ------------------------------------------------------------ */

typedef struct dicom_load_opts {
    dicom_window window; /* requested window; kind DEFAULT if zeroed */
    unsigned long long max_pixels; /* 0 = IMG_DEFAULT_MAX_PIXELS */
} dicom_load_opts;

/* Decode the first frame of `path` into 8-bit RGB (grey replicated to 3
 * channels) and fill `hdr`.  opts may be NULL.  Errors name the file:
 * "scan.dcm: not a DICOM file (no DICM marker)". out/hdr are zeroed on
 * failure.  Free `out` with img_rgb_free. */
int dicom_load_file(const char *path, const dicom_load_opts *opts, img_rgb *out,
                    dicom_header *hdr, char *err);

/* Same from memory (e.g. a Part-10 body fetched over the network). */
int dicom_load_memory(const void *bytes, size_t len, const char *label,
                      const dicom_load_opts *opts, img_rgb *out,
                      dicom_header *hdr, char *err);

/* Loads the GDCM decoder module now rather than on the first decode: for
 * a process that is about to lose the right to open files (a sandboxed
 * decode worker).  VLM_OK, or VLM_EUNSUPPORTED with err saying why (the
 * decodes that follow fail with the same reason). */
int dicom_module_preload(char *err);

#endif
