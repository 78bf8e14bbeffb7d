#include "query/filters.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const filter_formats[] = {"jpeg",     "png", "webp", "gif",
                                      "tiff",     "bmp", "pnm",  "dicom",
                                      "dicomweb", NULL};

/* Reads exactly `digits` digits at *p into *v. */
static int take_number(const char **p, int digits, int *v)
{
    *v = 0;
    for (int i = 0; i < digits; i++, (*p)++) {
        if (!isdigit((unsigned char)**p)) return 0;
        *v = *v * 10 + (**p - '0');
    }
    return 1;
}

static int days_in(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* The optional "-MM-DD", " HH:MM", ":SS" parts; each needs the one before. */
static int take_rest(const char *p, int f[6])
{
    static const char seps[] = "-- ::";
    for (int i = 1; i < 6 && *p; i++) {
        char sep = seps[i - 1];
        if (!(*p == sep || (i == 3 && *p == 'T'))) return 0;
        p++;
        if (!take_number(&p, 2, &f[i])) return 0;
        if (i == 4 && !*p) return 1; /* HH:MM without seconds */
    }
    return *p == 0;
}

int filter_parse_date(const char *text, char out[20], char *err)
{
    int f[6] = {0, 1, 1, 0, 0, 0};
    const char *p = text;
    int ok = take_number(&p, 4, &f[0]) && take_rest(p, f);
    ok = ok && f[0] >= 1 && f[1] >= 1 && f[1] <= 12 && f[2] >= 1 &&
         f[2] <= days_in(f[0], f[1]) && f[3] <= 23 && f[4] <= 59 && f[5] <= 59;
    if (!ok) {
        vlm_set_err(err,
                    "'%s' is not a date: YYYY, YYYY-MM, YYYY-MM-DD or "
                    "YYYY-MM-DD HH:MM[:SS]",
                    text);
        return VLM_EINVAL;
    }
    char full[80]; /* the fields are in range: 19 characters */
    snprintf(full, sizeof full, "%04d:%02d:%02d %02d:%02d:%02d", f[0], f[1],
             f[2], f[3], f[4], f[5]);
    snprintf(out, 20, "%.19s", full);
    return VLM_OK;
}

static int take_dimension(const char **p, int *v)
{
    char *end;
    if (!isdigit((unsigned char)**p)) return 0;
    long x = strtol(*p, &end, 10);
    *p = end;
    *v = (int)x;
    return x >= 1 && x <= 1000000;
}

int filter_parse_size(const char *text, int *w, int *h, char *err)
{
    const char *p = text;
    int ok = take_dimension(&p, w) && (*p == 'x' || *p == 'X') && p++ &&
             take_dimension(&p, h) && !*p;
    if (ok) return VLM_OK;
    vlm_set_err(err,
                "'%s' is not WIDTHxHEIGHT (e.g. 1920x1080; each 1 to "
                "1000000)",
                text);
    return VLM_EINVAL;
}

const char *filter_parse_format(const char *text, char *err)
{
    if (!strcasecmp(text, "jpg")) return "jpeg";
    if (!strcasecmp(text, "tif")) return "tiff";
    for (int i = 0; filter_formats[i]; i++)
        if (!strcasecmp(text, filter_formats[i])) return filter_formats[i];
    vlm_set_err(err,
                "'%s' is not a format: jpeg, png, webp, gif, tiff, bmp, "
                "pnm, dicom or dicomweb",
                text);
    return NULL;
}
