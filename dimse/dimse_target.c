/*
 * dimse_target.c — what the user typed: the dimse:// URL and the study
 * filter.  AE titles are at most 16 characters of printable ASCII without
 * a backslash (PS3.5 AE); only study-level keys a Study Root C-FIND
 * matches on are accepted, never patient keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dimse/dimse_internal.h"

/* Study-level matching keys of the Study Root model (PS3.4 C.6.2). */
static const char *const DIMSE_STUDY_KEYS[] = {
    "ModalitiesInStudy", "StudyDate",
    "StudyTime",         "StudyDescription",
    "AccessionNumber",   "StudyInstanceUID",
    "StudyID",           "ReferringPhysicianName",
};

static int copy_ae(char out[17], const char *s, size_t n, const char *what,
                   char *err)
{
    int ok = n >= 1 && n <= 16;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= 32 && s[i] < 127 && s[i] != '\\';
    if (!ok) {
        vlm_set_err(err,
                    "DIMSE URL: the %s AE title must be 1-16 printable "
                    "characters without a backslash",
                    what);
        return VLM_EINVAL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return VLM_OK;
}

static int parse_number(const char *s, size_t n, int lo, int hi, int *out)
{
    char buf[16], *end;
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    long v = strtol(buf, &end, 10);
    if (*end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

/* calling=AE&timeout=SEC */
static int parse_params(const char *p, dimse_target *t, char *err)
{
    while (p && *p) {
        size_t len = strcspn(p, "&"), key = strcspn(p, "=");
        int rc = VLM_OK;
        if (key < len && !strncmp(p, "calling", key) && key == 7)
            rc = copy_ae(t->calling, p + 8, len - 8, "calling", err);
        else if (key < len && key == 7 && !strncmp(p, "timeout", 7))
            rc = parse_number(p + 8, len - 8, 1, 3600, &t->timeout_s)
                     ? VLM_OK
                     : (vlm_set_err(err, "DIMSE URL: timeout must be 1-3600 "
                                         "seconds"),
                        VLM_EINVAL);
        else
            rc = (vlm_set_err(err,
                              "DIMSE URL: unknown parameter \"%.*s\" "
                              "(known: calling, timeout)",
                              (int)(key < len ? key : len), p),
                  VLM_EINVAL);
        if (rc != VLM_OK) return rc;
        p += len;
        if (*p) p++;
    }
    return VLM_OK;
}

int dimse_parse_url(const char *url, dimse_target *t, char *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->calling, sizeof t->calling, "VLMINDEX");
    t->timeout_s = 30;
    const char *usage = "expected dimse://CALLED_AE@HOST:PORT[?calling=AE]";
    if (strncmp(url, "dimse://", 8)) {
        vlm_set_err(err, "DIMSE URL: %s", usage);
        return VLM_EINVAL;
    }
    const char *p = url + 8, *at = strchr(p, '@');
    const char *q = strchr(p, '?');
    if (!at || (q && at > q)) {
        vlm_set_err(err, "DIMSE URL: no called AE title: %s", usage);
        return VLM_EINVAL;
    }
    int rc = copy_ae(t->called, p, (size_t)(at - p), "called", err);
    if (rc != VLM_OK) return rc;
    const char *host = at + 1, *end = q ? q : host + strlen(host);
    const char *colon = memchr(host, ':', (size_t)(end - host));
    size_t hl = colon ? (size_t)(colon - host) : 0;
    if (!colon || hl == 0 || hl >= sizeof t->host ||
        strcspn(host, "/@ ") < hl ||
        !parse_number(colon + 1, (size_t)(end - colon - 1), 1, 65535,
                      &t->port)) {
        vlm_set_err(err, "DIMSE URL: bad host or port: %s", usage);
        return VLM_EINVAL;
    }
    memcpy(t->host, host, hl);
    return parse_params(q ? q + 1 : NULL, t, err);
}

static int known_key(const char *k)
{
    for (size_t i = 0; i < sizeof DIMSE_STUDY_KEYS / sizeof *DIMSE_STUDY_KEYS;
         i++)
        if (!strcmp(k, DIMSE_STUDY_KEYS[i])) return 1;
    return 0;
}

int dimse_parse_query(const char *query, dimse_target *t, char *err)
{
    if (!query || !*query) return VLM_OK;
    if (strlen(query) >= sizeof t->query) {
        vlm_set_err(err, "DIMSE query: too long");
        return VLM_EINVAL;
    }
    snprintf(t->query, sizeof t->query, "%s", query);
    for (char *save = NULL, *kv = strtok_r(t->query, "&", &save); kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) *eq = '\0';
        if (!eq || !known_key(kv) || t->n_keys == DIMSE_MAX_KEYS) {
            vlm_set_err(err,
                        "DIMSE query: \"%s\" is not a study-level key we "
                        "match on (ModalitiesInStudy, StudyDate, StudyTime, "
                        "StudyDescription, AccessionNumber, StudyInstanceUID, "
                        "StudyID, ReferringPhysicianName)",
                        kv);
            return VLM_EINVAL;
        }
        for (char *c = eq + 1; *c; c++)
            if (*c == ',') *c = '\\'; /* several values, DICOM style */
        t->keys[t->n_keys++] = (dimse_key){kv, eq + 1};
    }
    return VLM_OK;
}
