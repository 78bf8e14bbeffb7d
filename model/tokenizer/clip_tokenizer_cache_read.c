/* clip_tokenizer_cache_read.c — mapping and validating a tokenizer cache
 * file (see clip_tokenizer_cache.h).  Every field is checked before use:
 * the file may be truncated, corrupt, stale or hostile. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/core/vlm_error.h"
#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_cache_format.h"
#include "model/tokenizer/clip_tokenizer_internal.h"

/* Maps a regular file of plausible size, read-only. */
static int map_file(const char *path, void **map, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return VLM_ENOTFOUND;
    struct stat st;
    int rc = VLM_EFORMAT;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size >= sizeof(clip_cache_header) &&
        (uint64_t)st.st_size <= CLIP_CACHE_MAX_BYTES) {
        *size = (size_t)st.st_size;
        /* Populate now: the checksum reads every page anyway. */
        *map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        rc = *map == MAP_FAILED ? VLM_EIO : VLM_OK;
    }
    close(fd);
    return rc;
}

static int header_matches(const clip_cache_header *h, const clip_cache_key *k,
                          size_t size)
{
    return memcmp(h->magic, CLIP_CACHE_MAGIC, 8) == 0 &&
           h->version == CLIP_CACHE_VERSION && h->endian == CLIP_CACHE_ENDIAN &&
           h->key_hash == k->hash && h->vocab_size == k->vocab_size &&
           h->merges_size == k->merges_size && h->file_size == size &&
           h->max_merges == CLIP_MAX_MERGES && h->n_ids > 0 &&
           h->n_ids <= CLIP_MAX_TOKEN_ID && h->sot >= 0 && h->sot < h->n_ids &&
           h->eot >= 0 && h->eot < h->n_ids;
}

/* Aligned, after the header, inside the file, and of the expected size
 * (want_size 0: any size). */
static int section_ok(const clip_cache_section *s, size_t file_size,
                      uint64_t want_size)
{
    return s->off % 8 == 0 && s->off >= sizeof(clip_cache_header) &&
           s->off <= file_size && s->size <= file_size - s->off &&
           (want_size == 0 || s->size == want_size);
}

static int sections_ok(const clip_cache_header *h, size_t file_size)
{
    uint64_t per_id = (uint64_t)h->n_ids * sizeof(uint32_t);
    size_t slot = bpe_merge_table_slot_size();
    const clip_cache_section *m = &h->sec[CLIP_SEC_MERGES];
    return section_ok(&h->sec[CLIP_SEC_BYTE_IDS], file_size,
                      2 * 256 * sizeof(int32_t)) &&
           section_ok(&h->sec[CLIP_SEC_START], file_size, per_id) &&
           section_ok(&h->sec[CLIP_SEC_LEN], file_size, per_id) &&
           section_ok(&h->sec[CLIP_SEC_BYTES], file_size, 0) &&
           section_ok(m, file_size, 0) && m->size % slot == 0;
}

static int ids_in_range(const int32_t *ids, size_t n, int32_t n_ids)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= n_ids) return 0;
    return 1;
}

/* Every id's bytes lie inside the bytes section. */
static int spans_in_range(const uint32_t *start, const uint32_t *len, size_t n,
                          uint64_t n_bytes)
{
    for (size_t i = 0; i < n; i++)
        if ((uint64_t)start[i] + len[i] > n_bytes) return 0;
    return 1;
}

/* Points tok into the mapping once everything checks out. */
static int adopt(const clip_cache_header *h, char *base, clip_tokenizer *tok)
{
    const int32_t *byte_ids =
        (const int32_t *)(base + h->sec[CLIP_SEC_BYTE_IDS].off);
    uint32_t *start = (uint32_t *)(base + h->sec[CLIP_SEC_START].off);
    uint32_t *len = (uint32_t *)(base + h->sec[CLIP_SEC_LEN].off);
    const clip_cache_section *b = &h->sec[CLIP_SEC_BYTES];
    const clip_cache_section *m = &h->sec[CLIP_SEC_MERGES];
    if (!ids_in_range(byte_ids, 512, h->n_ids) ||
        !spans_in_range(start, len, (size_t)h->n_ids, b->size))
        return VLM_EFORMAT;
    int rc = bpe_merge_table_view(base + m->off,
                                  m->size / bpe_merge_table_slot_size(),
                                  h->n_ids, &tok->merges);
    if (rc != VLM_OK) return rc;
    memcpy(tok->byte_id, byte_ids, sizeof tok->byte_id);
    memcpy(tok->byte_eow_id, byte_ids + 256, sizeof tok->byte_eow_id);
    tok->sot = h->sot;
    tok->eot = h->eot;
    tok->n_ids = h->n_ids;
    tok->bytes = base + b->off;
    tok->n_bytes = b->size;
    tok->start = start;
    tok->len = len;
    return VLM_OK;
}

int clip_cache_load(const char *path, const clip_cache_key *key,
                    clip_tokenizer *tok)
{
    void *map;
    size_t size;
    int rc = map_file(path, &map, &size);
    if (rc != VLM_OK) return rc;
    clip_cache_header h;
    memcpy(&h, map, sizeof h);
    rc = header_matches(&h, key, size) && sections_ok(&h, size) &&
                 h.checksum == clip_cache_checksum(map, size)
             ? adopt(&h, map, tok)
             : VLM_EFORMAT;
    if (rc != VLM_OK) {
        munmap(map, size);
        return rc;
    }
    tok->map = map;
    tok->map_size = size;
    return VLM_OK;
}

void clip_cache_unmap(clip_tokenizer *tok)
{
    if (tok->map) munmap(tok->map, tok->map_size);
    tok->map = NULL;
}

int clip_tokenizer_loaded_from_cache(const clip_tokenizer *tok)
{
    return tok && tok->map != NULL;
}
