/*
 * faiss_c_compat.h — FAISS C API declarations that FAISS 1.7.3's headers
 * (Debian 12) lack but later upstream releases have: search parameters
 * carrying an IDSelector (FAISS >= 1.7.4 Index_c.h / IndexIVF_c.h).  The
 * signatures are upstream's, so with a newer libfaiss_c this header is
 * skipped (meson defines HAVE_FAISS_SEARCH_WITH_PARAMS) and nothing else
 * changes.  schema/faiss_c_impl.cpp implements them on Debian.
 */
#ifndef VLM_SCHEMA_FAISS_C_COMPAT_H
#define VLM_SCHEMA_FAISS_C_COMPAT_H

#include <stddef.h>

#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/faiss_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>

#ifndef HAVE_FAISS_SEARCH_WITH_PARAMS
#ifdef __cplusplus
extern "C" {
#endif

FAISS_DECLARE_CLASS(SearchParameters)
FAISS_DECLARE_DESTRUCTOR(SearchParameters)

/* Search parameters restricting the search to `sel` (not owned). */
int faiss_SearchParameters_new(FaissSearchParameters **p_sp,
                               FaissIDSelector *sel);

/* faiss_Index_search, honouring params (may be NULL). */
int faiss_Index_search_with_params(const FaissIndex *index, idx_t n,
                                   const float *x, idx_t k,
                                   const FaissSearchParameters *params,
                                   float *distances, idx_t *labels);

FAISS_DECLARE_CLASS_INHERITED(SearchParametersIVF, SearchParameters)
FAISS_DECLARE_DESTRUCTOR(SearchParametersIVF)

int faiss_SearchParametersIVF_new_with(FaissSearchParametersIVF **p_sp,
                                       FaissIDSelector *sel, size_t nprobe,
                                       size_t max_codes);

#ifdef __cplusplus
}
#endif
#endif /* HAVE_FAISS_SEARCH_WITH_PARAMS */

#endif
