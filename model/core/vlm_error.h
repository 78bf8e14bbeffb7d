/*
 * vlm_error.h — the one error convention used by every vlmindex module.
 *
 * Library functions return an int status: VLM_OK (0) on success, one of the
 * negative VLM_E* codes on failure.  Functions that can fail also take
 * `char *err`, a caller-owned buffer of VLM_ERR_MAX bytes (may be NULL),
 * which receives one human-readable sentence naming the file/tensor/input and
 * the reason, like sqlite3_errmsg().  Library code never prints and never
 * calls exit(): the CLI decides what to show and which exit code to use.
 */
#ifndef VLM_ERROR_H
#define VLM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VLM_ERR_MAX 512

enum {
    VLM_OK = 0,
    VLM_EINVAL = -1,       /* bad argument or option */
    VLM_EIO = -2,          /* open/read/write/mmap failed */
    VLM_EFORMAT = -3,      /* input is malformed (corrupt file, bad JSON...) */
    VLM_EUNSUPPORTED = -4, /* well-formed but not something we handle */
    VLM_ENOMEM = -5,       /* allocation failed */
    VLM_ETOOBIG = -6,      /* over a configured limit (pixels, sizes) */
    VLM_EMISMATCH = -7,    /* shapes/config/model disagree */
    VLM_ENOTFOUND = -8,    /* missing file, tensor, row */
    VLM_EINTERRUPTED = -9, /* stopped by a signal / cancel flag */
    VLM_ENETWORK = -10,    /* HTTP / TLS / remote failure */
    VLM_EBUSY = -11,       /* held by another process (a writer lock) */
    VLM_EREADONLY = -12,   /* needs write access this process lacks */
};

/* printf-style: writes into err (if not NULL), truncating at VLM_ERR_MAX. */
void vlm_set_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short constant name of a status code ("format error", ...). */
const char *vlm_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif
