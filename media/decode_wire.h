/*
 * decode_wire.h — the messages between media_decode() and a decode worker.
 *
 * One AF_UNIX SOCK_SEQPACKET pair per worker carries fixed-size messages
 * (one message per request and per reply, so a short read means a dead
 * worker); one memfd per worker carries the bulk bytes: the input file at
 * offset 0, then, once the worker has decoded it, the output pixels at
 * offset 0 (RGB rows, then the alpha plane if any).  The parent creates the
 * memfd sealed against shrinking, so whatever a worker does, the parent's
 * reads within the file's size never fault.
 *
 * The parent trusts nothing in a reply: sizes are checked against the
 * memfd's real size and the request's pixel limit, strings are cut at
 * their array's end, enums are range-checked.
 */
#ifndef VLM_MEDIA_DECODE_WIRE_H
#define VLM_MEDIA_DECODE_WIRE_H

#include <stdint.h>

#include "media/media_decode.h"

/* Changes whenever a message changes, so a worker from another build is
 * refused at its hello instead of misread. */
#define WIRE_ABI                                            \
    (0x564d0100u ^ (unsigned)(sizeof(wire_request) * 131u + \
                              sizeof(wire_reply) * 7u + sizeof(wire_hello)))

#define WIRE_NAME_MAX     4096
#define WIRE_FORMAT_DICOM (-1) /* wire_reply.format for DICOM */

typedef struct wire_hello {
    uint32_t abi;
    int32_t sandboxed;      /* 1: seccomp filter loaded */
    int32_t memory_mb;      /* address-space limit applied, 0 = none */
    char sandbox_note[200]; /* why not, when sandboxed == 0 */
} wire_hello;

typedef struct wire_request {
    uint64_t in_len; /* input bytes at offset 0 of the memfd */
    uint64_t max_pixels;
    int32_t min_short_side;
    dicom_window window;
    char name[WIRE_NAME_MAX]; /* NUL-terminated, for messages */
} wire_request;

typedef struct wire_reply {
    int32_t rc;
    char err[VLM_ERR_MAX];
    int32_t format; /* img_format, or WIRE_FORMAT_DICOM */
    img_info info;
    int32_t width, height, nearest, has_alpha;
    uint64_t out_len; /* 3*w*h (+ w*h alpha) bytes at offset 0 */
    int32_t has_dicom;
    dicom_header dicom;
} wire_reply;

#endif
