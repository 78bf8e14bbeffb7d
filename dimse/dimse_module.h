/*
 * dimse_module.h — the C interface of libvlm_dcmtk.so, the loadable module
 * that holds all DCMTK code (dimse_scu.cpp).  It is dlopen()ed on the
 * first DIMSE connection (dimse_loader.c), so processes that never talk
 * DIMSE — every search, every photo-only install — load no DCMTK library.
 */
#ifndef VLM_DIMSE_MODULE_H
#define VLM_DIMSE_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DIMSE_MODULE        "libvlm_dcmtk.so"
#define DIMSE_MODULE_SYMBOL "vlm_dcmtk_ops"
#define DIMSE_MODULE_ABI    0x564d4431u /* bump when anything here changes */

typedef struct dimse_conn dimse_conn;

typedef struct dimse_peer {
    const char *host;
    int port;
    const char *called_ae, *calling_ae;
    int timeout_s; /* connect, ACSE and DIMSE timeouts */
} dimse_peer;

/* A C-FIND key by DICOM keyword ("StudyDate") and its value. */
typedef struct dimse_key {
    const char *name, *value;
} dimse_key;

/* Called with each match's value of the return key; nonzero stops. */
typedef int (*dimse_uid_fn)(void *ctx, const char *uid);

typedef struct dimse_module_ops {
    unsigned abi;
    /* Associates with Study Root C-FIND and C-GET and the image storage
     * classes (SCP role, for the C-STOREs a C-GET brings). */
    int (*open)(const dimse_peer *p, dimse_conn **out, char *err);
    /* C-FIND at `level` (STUDY, SERIES, IMAGE); each match's `return_key`
     * goes to fn.  Unknown keywords fail with VLM_EINVAL. */
    int (*find)(dimse_conn *c, const char *level, const dimse_key *keys,
                int n_keys, const char *return_key, dimse_uid_fn fn, void *ctx,
                char *err);
    /* C-GET of one instance; *bytes (free()) gets it as a Part-10 file. */
    int (*get)(dimse_conn *c, const char *study, const char *series,
               const char *sop, uint8_t **bytes, size_t *len, char *err);
    void (*close)(dimse_conn *c);
} dimse_module_ops;

typedef const dimse_module_ops *dimse_module_fn(void);

#ifdef __cplusplus
}
#endif

#endif
