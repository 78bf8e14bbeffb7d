/* clip_tokenizer_cache_write.c — saving a parsed tokenizer as a cache file
 * (see clip_tokenizer_cache.h): the whole image is built in memory, then
 * written to a temp file in the same folder, fsync'd and renamed over the
 * final name, so readers never see a partial file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/core/vlm_error.h"
#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_cache_format.h"
#include "model/tokenizer/clip_tokenizer_internal.h"

static uint64_t align8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* Header with section offsets filled in; returns the file size. */
static size_t lay_out(const clip_tokenizer *tok, const clip_cache_key *key,
                      clip_cache_header *h)
{
    size_t n_slots;
    bpe_merge_table_slots(tok->merges, &n_slots);
    uint64_t sizes[CLIP_SEC_COUNT] = {
        [CLIP_SEC_BYTE_IDS] = sizeof tok->byte_id + sizeof tok->byte_eow_id,
        [CLIP_SEC_START] = (uint64_t)tok->n_ids * sizeof *tok->start,
        [CLIP_SEC_LEN] = (uint64_t)tok->n_ids * sizeof *tok->len,
        [CLIP_SEC_BYTES] = tok->n_bytes,
        [CLIP_SEC_MERGES] = n_slots * bpe_merge_table_slot_size(),
    };
    *h = (clip_cache_header){
        .version = CLIP_CACHE_VERSION,
        .endian = CLIP_CACHE_ENDIAN,
        .key_hash = key->hash,
        .vocab_size = key->vocab_size,
        .merges_size = key->merges_size,
        .n_ids = tok->n_ids,
        .sot = tok->sot,
        .eot = tok->eot,
        .max_merges = CLIP_MAX_MERGES,
    };
    memcpy(h->magic, CLIP_CACHE_MAGIC, 8);
    uint64_t off = sizeof *h;
    for (int s = 0; s < CLIP_SEC_COUNT; s++) {
        h->sec[s] = (clip_cache_section){off, sizes[s]};
        off = align8(off + sizes[s]);
    }
    h->file_size = off;
    return (size_t)off;
}

/* The complete file image (malloc'd), checksum included. */
static char *build_image(const clip_tokenizer *tok, const clip_cache_key *key,
                         size_t *size)
{
    clip_cache_header h;
    *size = lay_out(tok, key, &h);
    char *img = calloc(1, *size); /* zeroed padding: deterministic bytes */
    if (!img) return NULL;
    size_t n_slots;
    const void *slots = bpe_merge_table_slots(tok->merges, &n_slots);
    const void *src[CLIP_SEC_COUNT] = {
        [CLIP_SEC_START] = tok->start,
        [CLIP_SEC_LEN] = tok->len,
        [CLIP_SEC_BYTES] = tok->bytes,
        [CLIP_SEC_MERGES] = slots,
    };
    memcpy(img + h.sec[CLIP_SEC_BYTE_IDS].off, tok->byte_id,
           sizeof tok->byte_id);
    memcpy(img + h.sec[CLIP_SEC_BYTE_IDS].off + sizeof tok->byte_id,
           tok->byte_eow_id, sizeof tok->byte_eow_id);
    for (int s = CLIP_SEC_START; s < CLIP_SEC_COUNT; s++)
        if (h.sec[s].size) memcpy(img + h.sec[s].off, src[s], h.sec[s].size);
    memcpy(img, &h, sizeof h);
    h.checksum = clip_cache_checksum(img, *size);
    memcpy(img, &h, sizeof h);
    return img;
}

/* mkdir -p for the folder part of `path`; new folders are private. */
static int make_parent_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (char *p = strchr(dir + 1, '/'); p && rc == VLM_OK;
         p = strchr(p + 1, '/')) {
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) rc = VLM_EIO;
        *p = '/';
    }
    free(dir);
    return rc;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return VLM_EIO;
        buf += w;
        n -= (size_t)w;
    }
    return VLM_OK;
}

/* temp file + fsync + rename; the temp file is removed on any failure. */
static int write_atomically(const char *path, const char *img, size_t size)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) return VLM_ENOMEM;
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    int rc = fd < 0 ? VLM_EIO : VLM_OK;
    if (rc == VLM_OK) {
        if (fchmod(fd, 0644) != 0 || write_all(fd, img, size) != VLM_OK ||
            fsync(fd) != 0)
            rc = VLM_EIO;
        if (close(fd) != 0) rc = VLM_EIO;
        if (rc == VLM_OK && rename(tmp, path) != 0) rc = VLM_EIO;
        if (rc != VLM_OK) unlink(tmp);
    }
    free(tmp);
    return rc;
}

int clip_cache_save(const char *path, const clip_cache_key *key,
                    const clip_tokenizer *tok)
{
    int rc = make_parent_dirs(path);
    if (rc != VLM_OK) return rc;
    size_t size;
    char *img = build_image(tok, key, &size);
    if (!img) return VLM_ENOMEM;
    rc = write_atomically(path, img, size);
    free(img);
    return rc;
}
