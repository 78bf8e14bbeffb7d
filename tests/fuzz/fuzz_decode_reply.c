/*
 * fuzz_decode_reply.c — libFuzzer target for the parent's side of the
 * worker protocol, facing a worker that lies (a decoder exploited into
 * sending what it likes).  worker_take_reply() gets a reply and shared
 * memory the input shapes.
 *
 * Input: a list of patches, each 2 bytes of offset and 8 bytes of value,
 * applied to an honest reply (a 4x3 RGBA PNG, pixels in the memfd) — so
 * the fuzzer spends its time on the numbers that matter (sizes, status,
 * format, strings without their NUL) instead of rebuilding the struct.  The
 * memfd holds 64 KiB.
 *
 * Must hold: no crash and no read outside what the memfd holds (ASan); a
 * success describes an image within the pixel limit whose every byte is
 * readable, with a format name and NUL-terminated strings; a failure names
 * the input.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "media/decode_wire.h"
#include "media/worker_pool.h"

#define MAX_PIXELS 4096u
#define SHM_BYTES (64 << 10)

static worker parent;
static wire_request q;
static wire_reply r;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = memfd_create("fuzz-reply", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) ||
        ftruncate(fd, SHM_BYTES))
        abort();
    parent.shm = fd;
    parent.sock = -1;
    parent.map =
        mmap(NULL, SHM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    parent.map_len = SHM_BYTES;
    if (parent.map == MAP_FAILED) abort();
    memset(parent.map, 0x5a, SHM_BYTES);
    strcpy(q.name, "fuzz-input");
    q.max_pixels = MAX_PIXELS;
    return 0;
}

static void honest_reply(void)
{
    memset(&r, 0, sizeof r);
    r.format = IMG_PNG;
    r.width = 4;
    r.height = 3;
    r.has_alpha = 1;
    r.out_len = 4 * 4 * 3;
    r.info.format = IMG_PNG;
    r.info.width = 4;
    r.info.height = 3;
    r.info.orientation = 1;
    r.info.decoded_scale_denom = 1;
}

static void check(int rc, const media_image *m, const char *err)
{
    if (rc != VLM_OK) {
        if (err[0] && !strstr(err, "fuzz-input")) __builtin_trap();
        return;
    }
    size_t px = (size_t)m->rgb.width * (size_t)m->rgb.height;
    if (m->rgb.width <= 0 || m->rgb.height <= 0 || px > MAX_PIXELS ||
        !m->format || strlen(m->info.exif_datetime) >= 20)
        __builtin_trap();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < 3 * px; i++) sink ^= m->rgb.pixels[i];
    for (size_t i = 0; m->rgb.alpha && i < px; i++) sink ^= m->rgb.alpha[i];
    if (m->dicom && strlen(m->dicom->series_description) >=
                        sizeof m->dicom->series_description)
        __builtin_trap();
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    honest_reply();
    size_t i = 0;
    for (; i + 10 <= size; i += 10) {
        size_t off = ((size_t)data[i] << 8 | data[i + 1]) % sizeof r;
        size_t n = sizeof r - off < 8 ? sizeof r - off : 8;
        memcpy((uint8_t *)&r + off, data + i + 2, n);
    }
    media_image m;
    memset(&m, 0, sizeof m);
    int healthy = 1;
    char err[VLM_ERR_MAX] = "";
    int rc = worker_take_reply(&parent, &q, &r, &m, &healthy, err);
    check(rc, &m, err);
    media_image_free(&m);
    return 0;
}
