#include "model/core/vlm_error.h"

#include <stdarg.h>
#include <stdio.h>

void vlm_set_err(char *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, VLM_ERR_MAX, fmt, ap);
    va_end(ap);
}

const char *vlm_strerror(int status)
{
    switch (status) {
    case VLM_OK: return "ok";
    case VLM_EINVAL: return "invalid argument";
    case VLM_EIO: return "i/o error";
    case VLM_EFORMAT: return "malformed input";
    case VLM_EUNSUPPORTED: return "unsupported";
    case VLM_ENOMEM: return "out of memory";
    case VLM_ETOOBIG: return "over limit";
    case VLM_EMISMATCH: return "mismatch";
    case VLM_ENOTFOUND: return "not found";
    case VLM_EINTERRUPTED: return "interrupted";
    case VLM_ENETWORK: return "network error";
    case VLM_EBUSY: return "busy";
    case VLM_EREADONLY: return "read-only";
    default: return "unknown error";
    }
}
