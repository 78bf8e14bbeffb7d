/* dimse_internal.h — shared by the dimse_*.c files; not public. */
#ifndef VLM_DIMSE_INTERNAL_H
#define VLM_DIMSE_INTERNAL_H

#include "dimse/dimse.h"
#include "dimse/dimse_module.h"

/* The DCMTK module's table, loaded once; NULL with err set. */
const dimse_module_ops *dimse_module(char *err);

#define DIMSE_MAX_KEYS 8

/* dimse://AE@host:port?calling=&timeout= and the study filter, parsed. */
typedef struct dimse_target {
    char called[17], calling[17], host[256];
    int port, timeout_s;
    char query[1024]; /* a copy the keys point into */
    dimse_key keys[DIMSE_MAX_KEYS];
    int n_keys;
} dimse_target;

int dimse_parse_url(const char *url, dimse_target *t, char *err);
int dimse_parse_query(const char *query, dimse_target *t, char *err);

#endif
