/*
 * fuzz_decode_wire.c — libFuzzer target for the decoders behind
 * media_decode(), through the worker protocol with both of its ends in
 * this one process: the input goes into a sealed memfd as the parent puts
 * it there, worker_answer() decodes it as a worker does (photo formats; or
 * DICOM, when built with -DFUZZ_DICOM, which puts the 128-byte preamble
 * and "DICM" in front of the input so every input takes the DICOM path
 * through dicom_validate and the GDCM module), and worker_take_reply()
 * checks and copies the reply as the parent does.
 *
 * Must hold: the status is a real one; a failure names the input (or is
 * "no image", silently, for content and a name that claim none); a
 * well-behaved worker's reply is never taken for a malformed one; a
 * decoded image lies within the pixel limit and every byte of it is
 * readable (ASan sees a short buffer).
 *
 * GDCM asserts on some inputs (the reason workers exist): run the DICOM
 * target with -fork=1 -ignore_crashes=1 and triage the crash files
 * (docs/fuzzing.md).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "media/decode_wire.h"
#include "media/decode_worker.h"
#include "media/worker_pool.h"

#define MAX_PIXELS (1u << 22) /* 4 Mpixel: keeps executions fast */
#ifdef FUZZ_DICOM
#define PREFIX 132
#else
#define PREFIX 0
#endif

static worker_shm child; /* the worker's view */
static worker parent;    /* the parent's view of the same memfd */
static wire_request q;
static wire_reply r;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = memfd_create("fuzz-decode", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) ||
        ftruncate(fd, 1 << 20))
        abort();
    child.fd = fd;
    parent.shm = fd;
    parent.sock = -1;
    parent.map = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    parent.map_len = 1 << 20;
    if (parent.map == MAP_FAILED || worker_shm_map(&child, 0)) abort();
    return 0;
}

static void check_image(const media_image *m)
{
    size_t px = (size_t)m->rgb.width * (size_t)m->rgb.height;
    if (m->rgb.width <= 0 || m->rgb.height <= 0 || px > MAX_PIXELS ||
        !m->format)
        __builtin_trap();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < 3 * px; i++) sink ^= m->rgb.pixels[i];
    for (size_t i = 0; m->rgb.alpha && i < px; i++) sink ^= m->rgb.alpha[i];
    if (m->dicom && strlen(m->dicom->sop_uid) >= sizeof m->dicom->sop_uid)
        __builtin_trap();
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (worker_shm_map(&child, PREFIX + size)) abort();
    memset(child.map, 0, PREFIX);
    if (PREFIX) memcpy(child.map + 128, "DICM", 4);
    if (size) memcpy(child.map + PREFIX, data, size);
    memset(&q, 0, sizeof q);
    q.in_len = PREFIX + size;
    q.max_pixels = MAX_PIXELS;
    q.min_short_side = (int)(size % 3) * 224; /* exact, DCT-scaled */
    q.window.kind = (dicom_window_kind)(size % (DICOM_WINDOW_STORED_LUT + 1));
    strcpy(q.name, "fuzz-input");
    worker_answer(&child, &q, &r, NULL);
    int wrc = r.rc;
    media_image m;
    memset(&m, 0, sizeof m);
    int healthy = 1;
    char err[VLM_ERR_MAX] = "";
    int rc = worker_take_reply(&parent, &q, &r, &m, &healthy, err);
    if (rc != wrc || rc > 0 || rc < VLM_ENETWORK) __builtin_trap();
    if (!healthy && rc != VLM_ENOMEM) __builtin_trap(); /* honest reply */
    if (rc == VLM_OK)
        check_image(&m);
    else if (!(rc == VLM_EUNSUPPORTED && !err[0]) && !strstr(err, q.name))
        __builtin_trap();
    media_image_free(&m);
    return 0;
}
