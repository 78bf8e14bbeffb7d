/*
 * make_synthetic.c — writes synthetic DICOM test images from scratch with
 * model/dicom's minimal writer (no Python, no real patient data):
 *
 *   ct_1.dcm  CT, signed 16-bit, stored = HU (intercept 0)
 *   ct_2.dcm  CT, unsigned, 12 bits stored, intercept -1024
 *   ct_3.dcm  CT, unsigned 16-bit, slope 2, intercept -1024
 *   cr_sc.dcm CR secondary capture, 8-bit MONOCHROME2, no stored window
 *   cr_mono1.dcm same pixels as MONOCHROME1
 *   rgb_sc.dcm   8-bit RGB secondary capture (colour pass-through)
 *   ct_2frames.dcm  CT like ct_1 with NumberOfFrames 2; frame 2 is all bone
 *
 * Usage: make_synthetic OUTDIR
 * The CT instances share one study and series; the CR/RGB images another.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_writer.h"
#include "tests/dicom/fixtures_gen/synthetic.h"

#define CT_CLASS "1.2.840.10008.5.1.4.1.1.2"
#define SC_CLASS "1.2.840.10008.5.1.4.1.1.7"

typedef struct pixel_spec {
    int size, samples;
    const char *photometric;
    int bits_stored, is_signed; /* bits allocated is 8 or 16 */
    double slope, intercept;
    int has_window;
    int frames; /* 0 or 1 = single frame */
} pixel_spec;

typedef struct series_ids {
    char study[65], series[65];
    const char *modality, *body_part, *description;
} series_ids;

static int hu_at(int r, int c)
{
    if (r >= 28 && r <= 35 && c >= 40 && c <= 47) return SYN_HU_BONE;
    if (r >= 20 && r <= 43 && c >= 12 && c <= 27) return SYN_HU_LUNG;
    if (r >= 16 && r <= 47 && c >= 8 && c <= 55) return SYN_HU_SOFT;
    return SYN_HU_AIR;
}

static int cr_at(int r, int c)
{
    return (r >= 8 && r <= 39 && c >= 8 && c <= 39) ? SYN_CR_BOX : SYN_CR_BG;
}

/* Pixel bytes (little endian) for a spec. */
static uint8_t *make_pixels(const pixel_spec *p, size_t *len)
{
    int bytes = p->bits_stored > 8 ? 2 : 1;
    size_t plane = (size_t)p->size * p->size;
    size_t n = plane * (p->frames > 1 ? p->frames : 1);
    *len = n * p->samples * bytes;
    uint8_t *buf = malloc(*len);
    if (!buf) return NULL;
    for (size_t i = 0; i < n; i++) {
        int r = (int)(i % plane / p->size), c = (int)(i % p->size);
        int hu = i < plane ? hu_at(r, c) : SYN_HU_BONE; /* later frames: bone */
        if (p->samples == 3) { /* red/green/blue quadrants */
            buf[3 * i] = (uint8_t)(r < p->size / 2 ? 200 : 10);
            buf[3 * i + 1] = (uint8_t)(c < p->size / 2 ? 100 : 30);
            buf[3 * i + 2] = 50;
        } else if (bytes == 1) {
            buf[i] = (uint8_t)cr_at(r, c);
        } else {
            long v = lround((hu - p->intercept) / p->slope);
            uint16_t u = (uint16_t)(int16_t)v;
            buf[2 * i] = (uint8_t)u;
            buf[2 * i + 1] = (uint8_t)(u >> 8);
        }
    }
    return buf;
}

static void fmt(char *b, size_t cap, double v) { snprintf(b, cap, "%g", v); }

static void image_module(dicom_writer *w, const pixel_spec *p)
{
    char num[32];
    int alloc = p->bits_stored > 8 ? 16 : 8;
    dicom_writer_us(w, 0x0028, 0x0002, (uint16_t)p->samples);
    dicom_writer_string(w, 0x0028, 0x0004, "CS", p->photometric);
    if (p->samples == 3) dicom_writer_us(w, 0x0028, 0x0006, 0);
    if (p->frames > 1) {
        snprintf(num, sizeof num, "%d", p->frames);
        dicom_writer_string(w, 0x0028, 0x0008, "IS", num);
    }
    dicom_writer_us(w, 0x0028, 0x0010, (uint16_t)p->size);
    dicom_writer_us(w, 0x0028, 0x0011, (uint16_t)p->size);
    dicom_writer_string(w, 0x0028, 0x0030, "DS", "0.7\\0.7");
    dicom_writer_us(w, 0x0028, 0x0100, (uint16_t)alloc);
    dicom_writer_us(w, 0x0028, 0x0101, (uint16_t)p->bits_stored);
    dicom_writer_us(w, 0x0028, 0x0102, (uint16_t)(p->bits_stored - 1));
    dicom_writer_us(w, 0x0028, 0x0103, (uint16_t)p->is_signed);
    if (p->has_window) {
        dicom_writer_string(w, 0x0028, 0x1050, "DS", "-600\\40");
        dicom_writer_string(w, 0x0028, 0x1051, "DS", "1500\\400");
    }
    if (p->slope != 0) {
        fmt(num, sizeof num, p->intercept);
        dicom_writer_string(w, 0x0028, 0x1052, "DS", num);
        fmt(num, sizeof num, p->slope);
        dicom_writer_string(w, 0x0028, 0x1053, "DS", num);
        dicom_writer_string(w, 0x0028, 0x1054, "LO", "HU");
    }
}

static int write_file(const char *path, const series_ids *s, int instance,
                      const pixel_spec *p, const char *accession)
{
    char err[VLM_ERR_MAX], sop[65], num[16];
    const char *cls = strcmp(s->modality, "CT") ? SC_CLASS : CT_CLASS;
    if (dicom_uid_generate(sop, err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    dicom_writer *w = dicom_writer_create(cls, sop);
    snprintf(num, sizeof num, "%d", instance);
    dicom_writer_string(w, 0x0008, 0x0016, "UI", cls);
    dicom_writer_string(w, 0x0008, 0x0018, "UI", sop);
    dicom_writer_string(w, 0x0008, 0x0020, "DA", "20240305");
    dicom_writer_string(w, 0x0008, 0x0030, "TM", "101500");
    dicom_writer_string(w, 0x0008, 0x0050, "SH", accession);
    dicom_writer_string(w, 0x0008, 0x0060, "CS", s->modality);
    dicom_writer_string(w, 0x0008, 0x0090, "PN", "");
    dicom_writer_string(w, 0x0008, 0x1030, "LO", "SYNTHETIC TEST STUDY");
    dicom_writer_string(w, 0x0008, 0x103E, "LO", s->description);
    dicom_writer_string(w, 0x0010, 0x0010, "PN", SYN_PATIENT_NAME);
    dicom_writer_string(w, 0x0010, 0x0020, "LO", SYN_PATIENT_ID);
    dicom_writer_string(w, 0x0010, 0x0030, "DA", SYN_BIRTH_DATE);
    dicom_writer_string(w, 0x0010, 0x0040, "CS", "O");
    dicom_writer_string(w, 0x0018, 0x0015, "CS", s->body_part);
    dicom_writer_string(w, 0x0020, 0x000D, "UI", s->study);
    dicom_writer_string(w, 0x0020, 0x000E, "UI", s->series);
    dicom_writer_string(w, 0x0020, 0x0010, "SH", "1");
    dicom_writer_string(w, 0x0020, 0x0011, "IS", "1");
    dicom_writer_string(w, 0x0020, 0x0013, "IS", num);
    image_module(w, p);
    size_t plen;
    uint8_t *px = make_pixels(p, &plen);
    if (px)
        dicom_writer_bytes(w, 0x7FE0, 0x0010, p->bits_stored > 8 ? "OW" : "OB",
                           px, plen);
    free(px);

    uint8_t *bytes;
    size_t len;
    int st = dicom_writer_finish(w, &bytes, &len, err);
    dicom_writer_destroy(w);
    if (st) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(bytes, 1, len, f) != len;
    if (f && fclose(f)) bad = 1;
    free(bytes);
    if (bad) perror(path);
    return bad;
}

static int new_series(series_ids *s, const char *mod, const char *body,
                      const char *desc)
{
    char err[VLM_ERR_MAX];
    s->modality = mod;
    s->body_part = body;
    s->description = desc;
    if (dicom_uid_generate(s->study, err) ||
        dicom_uid_generate(s->series, err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    static const pixel_spec CT[SYN_CT_INSTANCES] = {
        {SYN_CT_SIZE, 1, "MONOCHROME2", 16, 1, 1, 0, 1, 1},
        {SYN_CT_SIZE, 1, "MONOCHROME2", 12, 0, 1, -1024, 1, 1},
        {SYN_CT_SIZE, 1, "MONOCHROME2", 16, 0, 2, -1024, 1, 1},
    };
    static const pixel_spec CR = {SYN_CR_SIZE, 1, "MONOCHROME2", 8, 0, 0, 0,
                                  0,           1};
    pixel_spec mono1 = CR, rgb = CR, multi = CT[0];
    multi.frames = 2;
    mono1.photometric = "MONOCHROME1";
    rgb.samples = 3;
    rgb.photometric = "RGB";

    series_ids ct, cr;
    if (new_series(&ct, "CT", "CHEST", "Axial lung") ||
        new_series(&cr, "CR", "CHEST", "PA"))
        return 1;
    char path[4096];
    int bad = 0;
    for (int i = 0; i < SYN_CT_INSTANCES; i++) {
        snprintf(path, sizeof path, "%s/ct_%d.dcm", argv[1], i + 1);
        bad |= write_file(path, &ct, i + 1, &CT[i], "ACC0003");
    }
    series_ids mf;
    if (new_series(&mf, "CT", "CHEST", "Multi-frame")) return 1;
    snprintf(path, sizeof path, "%s/ct_2frames.dcm", argv[1]);
    bad |= write_file(path, &mf, 1, &multi, "ACC0004");
    const struct {
        const char *name;
        const pixel_spec *p;
    } CRS[] = {
        {"cr_sc.dcm", &CR}, {"cr_mono1.dcm", &mono1}, {"rgb_sc.dcm", &rgb}};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[1], CRS[i].name);
        bad |= write_file(path, &cr, i + 1, CRS[i].p, "ACC0001");
    }
    return bad;
}
