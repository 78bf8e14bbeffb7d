/*
 * vector_index_layout.h — (internal to schema/) the structure of the FAISS
 * part of vectors.faiss, checked against its own header before FAISS reads
 * or maps it.
 *
 * FAISS 1.7.3 trusts its files: a damaged list size makes its memory-mapped
 * lists point past the end of the file (SIGSEGV/SIGBUS on search), a
 * damaged vector length makes it allocate up to 1 TiB.  This reader walks
 * the serialisation of the kinds vlmindex writes (impl/index_write.cpp):
 *
 *   "IwFl" | "IwSq" | "IwPQ"  index header (d, ntotal, metric = IP)
 *     nlist, nprobe, quantizer "IxFI" (nlist x d floats), direct map (none)
 *     SQ8: quantizer type 8-bit, d, code size, 2d trained floats, residual
 *     PQ:  residual, code size, d, M, 8 bits, 256 x d centroid floats
 *   "ilar" nlist, code size, "full" | "sprs" list sizes,
 *     then each non-empty list: size x code bytes, size x 8-byte ids
 *
 * and checks every count against the others and against the file size:
 * list sizes sum to ntotal, the lists end exactly where the FAISS part
 * ends, codes have the size the kind implies.  It reads headers and the
 * size table only (O(nlist)), never the vectors.
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_LAYOUT_H
#define VLM_SCHEMA_VECTOR_INDEX_LAYOUT_H

#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct {
    int kind; /* enum vector_index_kind the structure describes */
    int32_t dims;
    int64_t ntotal;
    uint64_t nlist, code_size;
    uint64_t centroids_offset; /* nlist x dims floats of the quantizer */
    uint64_t sizes_offset;     /* the list-size table (its count first) */
    uint64_t data_offset;      /* codes of the first non-empty list */
    uint64_t first_ids;        /* ids of the first non-empty list */
    uint64_t end;              /* end of the lists = end of the FAISS part */
    /* Byte range of list i: [list_start[i], list_start[i + 1]), codes
     * then ids; nlist + 1 entries, malloc'ed (vindex_layout_free). */
    uint64_t *list_start;
} vindex_layout;

/* Walks the first faiss_bytes bytes of fd.  VLM_EFORMAT with the first
 * inconsistency in err ("<path>: list sizes sum to ..."); VLM_EIO if the
 * file cannot be read; VLM_ENOMEM.  On success free with
 * vindex_layout_free. */
int vindex_layout_read(int fd, const char *path, uint64_t faiss_bytes,
                       vindex_layout *out, char *err);
void vindex_layout_free(vindex_layout *l);

#endif
