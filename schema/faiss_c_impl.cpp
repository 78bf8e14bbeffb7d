/*
 * faiss_c_impl.cpp — the subset of FAISS's C API that vlmindex uses,
 * implemented over the C++ library.  Debian 12 ships the C API headers and
 * libfaiss.a but not libfaiss_c; each function here has exactly the
 * signature of <faiss/c_api/...> (or, for search parameters, of upstream
 * FAISS >= 1.7.4, see faiss_c_compat.h), so C code linking a real
 * libfaiss_c needs no change.  Searches of inner-product IVF indexes run
 * the vectorised scan of faiss_c_scan.h.  C++ exceptions never cross into C: they are
 * caught and their message is kept for faiss_get_last_error().
 */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "schema/faiss_c_compat.h"
#include "schema/faiss_c_scan.h"

#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace
{

thread_local std::string last_error;

/* Runs f, mapping exceptions to the C API's FaissErrorCode values. */
template <typename F> int guarded(F &&f)
{
    try {
        f();
        return 0;
    } catch (faiss::FaissException &e) {
        last_error = e.what();
        return FAISS_EXCEPT;
    } catch (std::exception &e) {
        last_error = e.what();
        return STD_EXCEPT;
    } catch (...) {
        last_error = "unknown C++ exception";
        return UNKNOWN_EXCEPT;
    }
}

faiss::Index *idx(FaissIndex *p) { return reinterpret_cast<faiss::Index *>(p); }
const faiss::Index *idx(const FaissIndex *p)
{
    return reinterpret_cast<const faiss::Index *>(p);
}
const faiss::IDSelector *selector(const FaissIDSelector *p)
{
    return reinterpret_cast<const faiss::IDSelector *>(p);
}

/* Maps positions in an IDMap's sub-index to the caller's ids before asking
 * the caller's selector (what upstream's IDSelectorTranslated does; FAISS
 * 1.7.3's IndexIDMap refuses search parameters). */
struct TranslatedSelector : faiss::IDSelector {
    const std::vector<faiss::Index::idx_t> &id_map;
    const faiss::IDSelector *sel;
    TranslatedSelector(const std::vector<faiss::Index::idx_t> &m,
                       const faiss::IDSelector *s)
        : id_map(m), sel(s)
    {
    }
    bool is_member(idx_t i) const override { return sel->is_member(id_map[i]); }
};

void search_idmap(const faiss::IndexIDMap *m, idx_t n, const float *x, idx_t k,
                  const faiss::SearchParameters *params, float *distances,
                  idx_t *labels)
{
    TranslatedSelector tsel(m->id_map, params->sel);
    faiss::SearchParameters sub;
    sub.sel = params->sel ? &tsel : nullptr;
    m->index->search(n, x, k, distances, labels, &sub);
    for (idx_t i = 0; i < n * k; i++)
        if (labels[i] >= 0) labels[i] = m->id_map[labels[i]];
}

} // namespace

extern "C" {

const char *faiss_get_last_error()
{
    return last_error.empty() ? nullptr : last_error.c_str();
}

int faiss_index_factory(FaissIndex **p_index, int d, const char *description,
                        FaissMetricType metric)
{
    return guarded([&] {
        *p_index = reinterpret_cast<FaissIndex *>(faiss::index_factory(
            d, description, static_cast<faiss::MetricType>(metric)));
    });
}

void faiss_Index_free(FaissIndex *obj) { delete idx(obj); }

int faiss_Index_d(const FaissIndex *index) { return idx(index)->d; }

idx_t faiss_Index_ntotal(const FaissIndex *index) { return idx(index)->ntotal; }

int faiss_Index_is_trained(const FaissIndex *index)
{
    return idx(index)->is_trained;
}

FaissMetricType faiss_Index_metric_type(const FaissIndex *index)
{
    return static_cast<FaissMetricType>(idx(index)->metric_type);
}

int faiss_Index_train(FaissIndex *index, idx_t n, const float *x)
{
    return guarded([&] { idx(index)->train(n, x); });
}

int faiss_Index_add(FaissIndex *index, idx_t n, const float *x)
{
    return guarded([&] { idx(index)->add(n, x); });
}

int faiss_Index_add_with_ids(FaissIndex *index, idx_t n, const float *x,
                             const idx_t *xids)
{
    return guarded([&] { idx(index)->add_with_ids(n, x, xids); });
}

int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x,
                       idx_t k, float *distances, idx_t *labels)
{
    return guarded([&] {
        if (!vlm_scan::search(idx(index), n, x, k, nullptr, distances, labels))
            idx(index)->search(n, x, k, distances, labels);
    });
}

int faiss_Index_search_with_params(const FaissIndex *index, idx_t n,
                                   const float *x, idx_t k,
                                   const FaissSearchParameters *params,
                                   float *distances, idx_t *labels)
{
    return guarded([&] {
        auto p = reinterpret_cast<const faiss::SearchParameters *>(params);
        auto m = dynamic_cast<const faiss::IndexIDMap *>(idx(index));
        if (p && m)
            search_idmap(m, n, x, k, p, distances, labels);
        else if (!vlm_scan::search(idx(index), n, x, k, p, distances, labels))
            idx(index)->search(n, x, k, distances, labels, p);
    });
}

int faiss_Index_reset(FaissIndex *index)
{
    return guarded([&] { idx(index)->reset(); });
}

int faiss_Index_remove_ids(FaissIndex *index, const FaissIDSelector *sel,
                           size_t *n_removed)
{
    return guarded([&] {
        size_t n = idx(index)->remove_ids(*selector(sel));
        if (n_removed) *n_removed = n;
    });
}

/* --- flat and IVF ---------------------------------------------------- */

int faiss_IndexFlatIP_new_with(FaissIndexFlatIP **p_index, idx_t d)
{
    return guarded([&] {
        faiss::Index *i = new faiss::IndexFlatIP(d);
        *p_index = reinterpret_cast<FaissIndexFlatIP *>(i);
    });
}

int faiss_IndexIVFFlat_new_with_metric(FaissIndexIVFFlat **p_index,
                                       FaissIndex *quantizer, size_t d,
                                       size_t nlist, FaissMetricType metric)
{
    return guarded([&] {
        faiss::Index *i = new faiss::IndexIVFFlat(
            idx(quantizer), d, nlist, static_cast<faiss::MetricType>(metric));
        *p_index = reinterpret_cast<FaissIndexIVFFlat *>(i);
    });
}

FaissIndexFlat *faiss_IndexFlat_cast(FaissIndex *index)
{
    return reinterpret_cast<FaissIndexFlat *>(
        dynamic_cast<faiss::IndexFlat *>(idx(index)));
}

void faiss_IndexFlat_xb(FaissIndexFlat *index, float **p_xb, size_t *p_size)
{
    auto f = reinterpret_cast<faiss::IndexFlat *>(index);
    *p_xb = f->get_xb();
    if (p_size) *p_size = f->codes.size() / sizeof(float);
}

FaissIndex *faiss_IndexIVF_quantizer(const FaissIndexIVF *index)
{
    return reinterpret_cast<FaissIndex *>(
        reinterpret_cast<const faiss::IndexIVF *>(index)->quantizer);
}

void faiss_IndexIVF_set_own_fields(FaissIndexIVF *index, int own_fields)
{
    reinterpret_cast<faiss::IndexIVF *>(index)->own_fields = own_fields != 0;
}

FaissIndexIVF *faiss_IndexIVF_cast(FaissIndex *index)
{
    return reinterpret_cast<FaissIndexIVF *>(
        dynamic_cast<faiss::IndexIVF *>(idx(index)));
}

size_t faiss_IndexIVF_nlist(const FaissIndexIVF *index)
{
    return reinterpret_cast<const faiss::IndexIVF *>(index)->nlist;
}

size_t faiss_IndexIVF_nprobe(const FaissIndexIVF *index)
{
    return reinterpret_cast<const faiss::IndexIVF *>(index)->nprobe;
}

void faiss_IndexIVF_set_nprobe(FaissIndexIVF *index, size_t nprobe)
{
    reinterpret_cast<faiss::IndexIVF *>(index)->nprobe = nprobe;
}

/* --- search parameters ------------------------------------------------ */

int faiss_SearchParameters_new(FaissSearchParameters **p_sp,
                               FaissIDSelector *sel)
{
    return guarded([&] {
        auto sp = new faiss::SearchParameters;
        sp->sel = reinterpret_cast<faiss::IDSelector *>(sel);
        *p_sp = reinterpret_cast<FaissSearchParameters *>(sp);
    });
}

void faiss_SearchParameters_free(FaissSearchParameters *obj)
{
    delete reinterpret_cast<faiss::SearchParameters *>(obj);
}

int faiss_SearchParametersIVF_new_with(FaissSearchParametersIVF **p_sp,
                                       FaissIDSelector *sel, size_t nprobe,
                                       size_t max_codes)
{
    return guarded([&] {
        auto sp = new faiss::SearchParametersIVF;
        sp->sel = reinterpret_cast<faiss::IDSelector *>(sel);
        sp->nprobe = nprobe;
        sp->max_codes = max_codes;
        *p_sp = reinterpret_cast<FaissSearchParametersIVF *>(
            static_cast<faiss::SearchParameters *>(sp));
    });
}

void faiss_SearchParametersIVF_free(FaissSearchParametersIVF *obj)
{
    delete reinterpret_cast<faiss::SearchParameters *>(obj);
}

/* --- id selectors --------------------------------------------------- */

void faiss_IDSelector_free(FaissIDSelector *obj)
{
    delete reinterpret_cast<faiss::IDSelector *>(obj);
}

int faiss_IDSelector_is_member(const FaissIDSelector *sel, idx_t id)
{
    return selector(sel)->is_member(id);
}

int faiss_IDSelectorRange_new(FaissIDSelectorRange **p_sel, idx_t imin,
                              idx_t imax)
{
    return guarded([&] {
        faiss::IDSelector *s = new faiss::IDSelectorRange(imin, imax);
        *p_sel = reinterpret_cast<FaissIDSelectorRange *>(s);
    });
}

int faiss_IDSelectorBatch_new(FaissIDSelectorBatch **p_sel, size_t n,
                              const idx_t *indices)
{
    return guarded([&] {
        faiss::IDSelector *s = new faiss::IDSelectorBatch(n, indices);
        *p_sel = reinterpret_cast<FaissIDSelectorBatch *>(s);
    });
}

/* --- I/O ------------------------------------------------------------ */

/* The C header's FAISS_IO_FLAG_MMAP (1) stands for C++'s IO_FLAG_MMAP
 * (which 1.7.3 defines as another bit pattern); other bits are shared. */
static int cxx_io_flags(int io_flags)
{
    if (io_flags & FAISS_IO_FLAG_MMAP)
        return (io_flags & ~FAISS_IO_FLAG_MMAP) | faiss::IO_FLAG_MMAP;
    return io_flags;
}

int faiss_write_index(const FaissIndex *index, FILE *f)
{
    return guarded([&] { faiss::write_index(idx(index), f); });
}

int faiss_write_index_fname(const FaissIndex *index, const char *fname)
{
    return guarded([&] { faiss::write_index(idx(index), fname); });
}

int faiss_read_index(FILE *f, int io_flags, FaissIndex **p_out)
{
    return guarded([&] {
        *p_out = reinterpret_cast<FaissIndex *>(
            faiss::read_index(f, cxx_io_flags(io_flags)));
    });
}

int faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out)
{
    return guarded([&] {
        *p_out = reinterpret_cast<FaissIndex *>(
            faiss::read_index(fname, cxx_io_flags(io_flags)));
    });
}

/* Range search (`vlmindex dupes`): every vector above a similarity. */

int faiss_RangeSearchResult_new(FaissRangeSearchResult **p_rsr, idx_t nq)
{
    return guarded([&] {
        *p_rsr = reinterpret_cast<FaissRangeSearchResult *>(
            new faiss::RangeSearchResult(nq));
    });
}

void faiss_RangeSearchResult_free(FaissRangeSearchResult *obj)
{
    delete reinterpret_cast<faiss::RangeSearchResult *>(obj);
}

void faiss_RangeSearchResult_lims(FaissRangeSearchResult *rsr, size_t **lims)
{
    *lims = reinterpret_cast<faiss::RangeSearchResult *>(rsr)->lims;
}

void faiss_RangeSearchResult_labels(FaissRangeSearchResult *rsr, idx_t **labels,
                                    float **distances)
{
    auto *r = reinterpret_cast<faiss::RangeSearchResult *>(rsr);
    *labels = r->labels;
    *distances = r->distances;
}

int faiss_Index_range_search(const FaissIndex *index, idx_t n, const float *x,
                             float radius, FaissRangeSearchResult *result)
{
    return guarded([&] {
        idx(index)->range_search(
            n, x, radius, reinterpret_cast<faiss::RangeSearchResult *>(result));
    });
}

} // extern "C"
