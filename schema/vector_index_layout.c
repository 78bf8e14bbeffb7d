/*
 * vector_index_layout.c — structural check of the FAISS part of
 * vectors.faiss (format and reasons in vector_index_layout.h).
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/vector_index.h"
#include "schema/vector_index_layout.h"

#define MAX_DIMS   65536
#define MAX_NLIST  (1u << 20)
#define PQ_KSUB    256
#define SIZE_CHUNK 4096

/* FAISS enums as written: MetricType, ScalarQuantizer::QuantizerType. */
enum {
    METRIC_IP = 0,
    QT_8BIT = 0
};

typedef struct {
    int fd;
    const char *path;
    uint64_t pos, end;
    char *err;
    int rc; /* first failure; later reads are no-ops */
} reader;

/* Records the first inconsistency ("<path>: <message>"); always false. */
static bool fail(reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(reader *r, const char *fmt, ...)
{
    if (r->rc == VLM_OK) {
        char msg[300];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        vlm_set_err(r->err, "%s: %s", r->path, msg);
        r->rc = VLM_EFORMAT;
    }
    return false;
}

#define ULL(x) ((unsigned long long)(x))

static bool take(reader *r, void *buf, uint64_t n, const char *what)
{
    if (r->rc != VLM_OK) return false;
    if (n > r->end - r->pos)
        return fail(r, "%s at offset %llu runs past the end (%llu)", what,
                    ULL(r->pos), ULL(r->end));
    if (buf && pread(r->fd, buf, n, (off_t)r->pos) != (ssize_t)n) {
        vlm_set_err(r->err, "%s: read failed: %s", r->path, strerror(errno));
        r->rc = VLM_EIO;
        return false;
    }
    r->pos += n;
    return true;
}

static uint64_t u64(reader *r, const char *what)
{
    unsigned char b[8] = {0};
    take(r, b, 8, what);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static uint32_t u32(reader *r, const char *what)
{
    unsigned char b[4] = {0};
    take(r, b, 4, what);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static uint8_t u8(reader *r, const char *what)
{
    uint8_t b = 0;
    take(r, &b, 1, what);
    return b;
}

static bool expect(reader *r, uint64_t got, uint64_t want, const char *what)
{
    return got == want ||
           fail(r, "%s is %llu, expected %llu", what, ULL(got), ULL(want));
}

static bool fourcc_is(uint32_t v, const char *s)
{
    return v == ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
                 (uint32_t)s[3] << 24);
}

/* d, ntotal, two unused fields, is_trained, metric (inner product). */
static void index_header(reader *r, uint64_t *d, uint64_t *ntotal)
{
    *d = u32(r, "dimension");
    *ntotal = u64(r, "vector count");
    take(r, NULL, 16, "header");
    expect(r, u8(r, "trained flag"), 1, "trained flag");
    expect(r, u32(r, "metric"), METRIC_IP, "metric (0 = inner product)");
    if (*d == 0 || *d > MAX_DIMS)
        fail(r, "dimension %llu out of range", ULL(*d));
    if (*ntotal > (1ull << 40))
        fail(r, "vector count %llu out of range", ULL(*ntotal));
}

/* nlist, nprobe, the flat inner-product quantizer, an empty direct map. */
static void ivf_header(reader *r, vindex_layout *l)
{
    uint64_t d, n, qd, qn;
    index_header(r, &d, &n);
    l->dims = (int32_t)d, l->ntotal = (int64_t)n;
    l->nlist = u64(r, "list count");
    take(r, NULL, 8, "nprobe");
    if (l->nlist == 0 || l->nlist > MAX_NLIST)
        fail(r, "list count %llu out of range", ULL(l->nlist));
    if (!fourcc_is(u32(r, "quantizer type"), "IxFI"))
        fail(r, "quantizer at %llu is not a flat inner-product index",
             ULL(r->pos - 4));
    index_header(r, &qd, &qn);
    expect(r, qd, d, "quantizer dimension");
    expect(r, qn, l->nlist, "quantizer centroid count");
    expect(r, u64(r, "centroid floats"), l->nlist * d, "centroid floats");
    l->centroids_offset = r->pos;
    take(r, NULL, l->nlist * d * 4, "centroids");
    expect(r, u8(r, "direct map"), 0, "direct map type");
    expect(r, u64(r, "direct map size"), 0, "direct map size");
}

/* SQ8: 8-bit type, d, code size, 2 d trained floats, code size, residual. */
static void sq8_fields(reader *r, vindex_layout *l)
{
    uint64_t d = (uint64_t)l->dims;
    expect(r, u32(r, "quantizer type"), QT_8BIT, "scalar quantizer type");
    take(r, NULL, 8, "range statistics");
    expect(r, u64(r, "SQ dimension"), d, "SQ dimension");
    expect(r, u64(r, "SQ code size"), d, "SQ code size");
    expect(r, u64(r, "SQ trained floats"), 2 * d, "SQ trained floats");
    take(r, NULL, 2 * d * 4, "SQ ranges");
    expect(r, u64(r, "code size"), d, "code size");
    take(r, NULL, 1, "residual flag");
    l->code_size = d;
}

/* PQ: residual, code size, d, M, 8 bits, 256 x d centroid floats. */
static void pq_fields(reader *r, vindex_layout *l)
{
    uint64_t d = (uint64_t)l->dims;
    take(r, NULL, 1, "residual flag");
    l->code_size = u64(r, "code size");
    expect(r, u64(r, "PQ dimension"), d, "PQ dimension");
    uint64_t m = u64(r, "PQ sub-vectors");
    expect(r, u64(r, "PQ bits"), 8, "PQ bits per code");
    if (r->rc == VLM_OK && (m == 0 || d % m != 0))
        fail(r, "PQ sub-vectors %llu do not divide the dimension %llu", ULL(m),
             ULL(d));
    expect(r, l->code_size, m, "PQ code size");
    expect(r, u64(r, "PQ centroid floats"), PQ_KSUB * d, "PQ centroid floats");
    take(r, NULL, PQ_KSUB * d * 4, "PQ centroids");
}

/* Adds list `no` of n vectors; remembers where the first one lies. */
static void count_list(reader *r, vindex_layout *l, uint64_t no, uint64_t n,
                       uint64_t *sum, uint64_t *first)
{
    if (n > (uint64_t)l->ntotal || *sum + n > (uint64_t)l->ntotal)
        fail(r, "list sizes reach %llu, more than the %llu vectors",
             ULL(*sum + n), ULL(l->ntotal));
    if (r->rc != VLM_OK) return;
    if (*first == UINT64_MAX && n > 0) *first = n;
    l->list_start[no + 1] = n; /* sizes now, offsets once all are read */
    *sum += n;
}

/* The "full" table: one size per list. */
static void full_sizes(reader *r, vindex_layout *l, uint64_t count,
                       uint64_t *sum, uint64_t *first)
{
    uint64_t buf[SIZE_CHUNK];
    expect(r, count, l->nlist, "list-size count");
    for (uint64_t i = 0; i < count && r->rc == VLM_OK; i += SIZE_CHUNK) {
        uint64_t m = count - i < SIZE_CHUNK ? count - i : SIZE_CHUNK;
        if (!take(r, buf, m * 8, "list sizes")) return;
        for (uint64_t j = 0; j < m; j++)
            count_list(r, l, i + j, le64toh(buf[j]), sum, first);
    }
}

/* The "sprs" table: (list number, size) pairs, lists ascending. */
static void sparse_sizes(reader *r, vindex_layout *l, uint64_t count,
                         uint64_t *sum, uint64_t *first)
{
    if (count % 2 != 0 || count / 2 > l->nlist)
        fail(r, "sparse list-size count %llu does not fit %llu lists",
             ULL(count), ULL(l->nlist));
    uint64_t prev = 0;
    for (uint64_t i = 0; i < count / 2 && r->rc == VLM_OK; i++) {
        uint64_t no = u64(r, "list number"), n = u64(r, "list size");
        if (no >= l->nlist || (i > 0 && no <= prev) || n == 0)
            fail(r, "sparse list %llu (size %llu) is out of order or range",
                 ULL(no), ULL(n));
        count_list(r, l, no, n, sum, first);
        prev = no;
    }
}

/* "ilar", nlist, code size, size table, then the lists themselves. */
static void inverted_lists(reader *r, vindex_layout *l)
{
    if (!fourcc_is(u32(r, "inverted lists type"), "ilar"))
        fail(r, "inverted lists at %llu are not array lists", ULL(r->pos - 4));
    expect(r, u64(r, "list count"), l->nlist, "inverted-list count");
    expect(r, u64(r, "code size"), l->code_size, "inverted-list code size");
    uint32_t type = u32(r, "list-size table type");
    l->sizes_offset = r->pos;
    if (r->rc == VLM_OK &&
        !(l->list_start = calloc(l->nlist + 1, sizeof *l->list_start))) {
        vlm_set_err(r->err, "%s: out of memory for %llu lists", r->path,
                    ULL(l->nlist));
        r->rc = VLM_ENOMEM;
    }
    uint64_t count = u64(r, "list-size count"), sum = 0, first = UINT64_MAX;
    if (fourcc_is(type, "full"))
        full_sizes(r, l, count, &sum, &first);
    else if (fourcc_is(type, "sprs"))
        sparse_sizes(r, l, count, &sum, &first);
    else
        fail(r, "list-size table at %llu is neither full nor sparse",
             ULL(l->sizes_offset - 4));
    expect(r, sum, (uint64_t)l->ntotal, "sum of list sizes");
    if (r->rc != VLM_OK) return;
    l->data_offset = r->pos;
    l->list_start[0] = r->pos;
    for (uint64_t i = 0; i < l->nlist; i++)
        l->list_start[i + 1] =
            l->list_start[i] + l->list_start[i + 1] * (l->code_size + 8);
    l->first_ids =
        l->data_offset + (first == UINT64_MAX ? 0 : first) * l->code_size;
    /* ntotal <= 2^40 and code_size <= 4 * MAX_DIMS: no overflow here. */
    uint64_t bytes = sum * (l->code_size + 8);
    take(r, NULL, bytes, "list data");
    l->end = r->pos;
    expect(r, l->end, r->end, "end of the lists");
}

int vindex_layout_read(int fd, const char *path, uint64_t faiss_bytes,
                       vindex_layout *out, char *err)
{
    reader r = {.fd = fd, .path = path, .end = faiss_bytes, .err = err};
    memset(out, 0, sizeof *out);
    uint32_t type = u32(&r, "index type");
    bool flat = fourcc_is(type, "IwFl"), sq = fourcc_is(type, "IwSq"),
         pq = fourcc_is(type, "IwPQ");
    if (r.rc == VLM_OK && !flat && !sq && !pq) {
        vlm_set_err(err, "%s: not an index kind vlmindex writes", path);
        return VLM_EFORMAT;
    }
    ivf_header(&r, out);
    if (sq) sq8_fields(&r, out);
    if (pq) pq_fields(&r, out);
    if (flat) out->code_size = (uint64_t)out->dims * 4;
    inverted_lists(&r, out);
    out->kind = pq                ? VECTOR_INDEX_IVF_PQ
                : sq              ? VECTOR_INDEX_IVF_SQ8
                : out->nlist == 1 ? VECTOR_INDEX_EXACT
                                  : VECTOR_INDEX_IVF;
    if (r.rc != VLM_OK) vindex_layout_free(out);
    return r.rc;
}

void vindex_layout_free(vindex_layout *l)
{
    free(l->list_start);
    l->list_start = NULL;
}
