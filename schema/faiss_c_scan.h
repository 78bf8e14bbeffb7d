/*
 * faiss_c_scan.h — (C++, internal to the FAISS shim) vectorised search of
 * inner-product IVF indexes whose coarse quantizer is flat.
 *
 * Debian's FAISS 1.7.3 is a generic x86-64 build: it scores lists and
 * centroids with scalar loops.  This search does the same work with the
 * kernels of schema/vector_scan.h:
 *   - coarse step (every such IVF): the centroids are scored with the
 *     float32 kernel and the nprobe best lists kept;
 *   - lists of IVF-Flat and IVF-SQ8 (QT_8bit, residual or not): scored
 *     with the float32 / uint8 kernels, blocks at a time, into a top-k;
 *   - other codes (PQ): FAISS scans the lists chosen above
 *     (search_preassigned), with its table lookups.
 * Results equal FAISS's own up to float rounding; an id selector in the
 * search parameters is honoured.  A NaN score (damaged data) is reported as
 * +inf so that it reaches the caller instead of silently dropping out.
 * VLMINDEX_SCAN=faiss in the environment turns this off (A/B benchmarks).
 */
#ifndef VLM_SCHEMA_FAISS_C_SCAN_H
#define VLM_SCHEMA_FAISS_C_SCAN_H

#include <faiss/Index.h>

namespace vlm_scan
{

/* Searches like index->search(); false (nothing written) when the index is
 * not one of the kinds above, or the scan is turned off. */
bool search(const faiss::Index *index, faiss::Index::idx_t n, const float *x,
            faiss::Index::idx_t k, const faiss::SearchParameters *params,
            float *distances, faiss::Index::idx_t *labels);

} // namespace vlm_scan

#endif
