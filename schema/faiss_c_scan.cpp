/*
 * faiss_c_scan.cpp — vectorised IVF search behind faiss_Index_search*
 * (see faiss_c_scan.h for what it covers and why).
 */
#include "schema/faiss_c_scan.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/InvertedLists.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "schema/vector_scan.h"

namespace
{

using idx_t = faiss::Index::idx_t;
constexpr size_t BLOCK = 256; /* scores per kernel call: stays in L1 */

enum class Codes {
    FLAT,
    SQ8,
    OTHER
};

/* What the own search needs to know about one index. */
struct Plan {
    const faiss::IndexIVF *ivf = nullptr;
    const float *centroids = nullptr; /* nlist x d */
    size_t d = 0;
    Codes codes = Codes::OTHER;
    const float *vmin = nullptr, *vdiff = nullptr; /* SQ8 ranges */
    bool by_residual = false;
};

/* Read at every search (a getenv is ~100 ns), so that a benchmark can
 * compare both scans in one process. */
bool scan_enabled()
{
    const char *v = std::getenv("VLMINDEX_SCAN");
    return !(v && std::strcmp(v, "faiss") == 0);
}

Codes list_codes(const faiss::IndexIVF *ivf, Plan *p)
{
    size_t cs = ivf->invlists->code_size;
    if (dynamic_cast<const faiss::IndexIVFFlat *>(ivf))
        return cs == p->d * sizeof(float) ? Codes::FLAT : Codes::OTHER;
    auto sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer *>(ivf);
    if (!sq || sq->sq.qtype != faiss::ScalarQuantizer::QT_8bit ||
        sq->sq.trained.size() != 2 * p->d || cs != p->d)
        return Codes::OTHER;
    p->vmin = sq->sq.trained.data();
    p->vdiff = p->vmin + p->d;
    p->by_residual = sq->by_residual;
    return Codes::SQ8;
}

bool make_plan(const faiss::Index *index, Plan *p)
{
    auto ivf = dynamic_cast<const faiss::IndexIVF *>(index);
    if (!ivf || ivf->metric_type != faiss::METRIC_INNER_PRODUCT ||
        !ivf->invlists || !ivf->is_trained)
        return false;
    auto q = dynamic_cast<const faiss::IndexFlat *>(ivf->quantizer);
    if (!q || q->metric_type != faiss::METRIC_INNER_PRODUCT ||
        q->ntotal != (idx_t)ivf->nlist || q->d != ivf->d)
        return false;
    p->ivf = ivf;
    p->d = (size_t)ivf->d;
    p->centroids = q->get_xb();
    p->codes = list_codes(ivf, p);
    return true;
}

/* The nprobe best lists by <q, centroid>; unused slots get list -1. */
void coarse(const Plan &p, const float *q, size_t nprobe, idx_t *lists,
            float *dis, std::vector<float> &buf)
{
    size_t nlist = p.ivf->nlist;
    buf.resize(std::max(nlist, BLOCK));
    vscan_dot_f32(q, p.centroids, nlist, p.d, buf.data());
    vscan_topk t;
    vscan_topk_init(&t, dis, (int64_t *)lists, (int)nprobe);
    for (size_t l = 0; l < nlist; l++) vscan_topk_push(&t, buf[l], (idx_t)l);
    for (int i = vscan_topk_finish(&t); i < (int)nprobe; i++) lists[i] = -1;
}

/* Per query: SQ8 decodes x_j = vmin_j + (c_j + 0.5) / 255 * vdiff_j, so
 * <q, x> = offset + sum_j w_j c_j with the w and offset below. */
struct QueryCodes {
    std::vector<float> w;
    float offset = 0;
};

void prepare(const Plan &p, const float *q, QueryCodes *qc)
{
    if (p.codes != Codes::SQ8) return;
    qc->w.resize(p.d);
    double off = 0;
    for (size_t j = 0; j < p.d; j++) {
        qc->w[j] = q[j] * p.vdiff[j] / 255.0f;
        off += (double)q[j] * (p.vmin[j] + 0.5 * p.vdiff[j] / 255.0);
    }
    qc->offset = (float)off;
}

struct ListScan {
    const Plan &p;
    const float *q;
    const QueryCodes &qc;
    const faiss::IDSelector *sel;
    vscan_topk *top;
    float buf[BLOCK];
};

void score_block(ListScan &s, const uint8_t *codes, size_t m)
{
    if (s.p.codes == Codes::FLAT)
        vscan_dot_f32(s.q, (const float *)codes, m, s.p.d, s.buf);
    else
        vscan_dot_u8(s.qc.w.data(), codes, m, s.p.d, s.buf);
}

void scan_list(ListScan &s, size_t list, float base)
{
    const faiss::InvertedLists *il = s.p.ivf->invlists;
    size_t n = il->list_size(list);
    if (n == 0) return;
    faiss::InvertedLists::ScopedCodes codes(il, list);
    faiss::InvertedLists::ScopedIds ids(il, list);
    size_t cs = il->code_size;
    auto id_bytes = reinterpret_cast<const unsigned char *>(ids.get());
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t m = std::min(BLOCK, n - b);
        score_block(s, codes.get() + b * cs, m);
        float floor = vscan_topk_floor(s.top);
        for (size_t i = 0; i < m; i++) {
            float v = s.buf[i] + base;
            if (v <= floor) continue; /* NaN goes on: reported as +inf */
            idx_t id;                 /* mapped lists are not 8-byte aligned */
            std::memcpy(&id, id_bytes + (b + i) * sizeof id, sizeof id);
            if (s.sel && !s.sel->is_member(id)) continue;
            vscan_topk_push(s.top, std::isnan(v) ? INFINITY : v, id);
            floor = vscan_topk_floor(s.top);
        }
    }
}

void fill_tail(int from, idx_t k, float *dis, idx_t *labels)
{
    for (idx_t i = from; i < k; i++) {
        dis[i] = -std::numeric_limits<float>::max();
        labels[i] = -1;
    }
}

struct Query {
    size_t nprobe;
    const faiss::IDSelector *sel;
    std::vector<idx_t> lists;
    std::vector<float> cdis, buf;
};

void search_one(const Plan &p, Query &qy, const float *q, idx_t k, float *dis,
                idx_t *labels)
{
    coarse(p, q, qy.nprobe, qy.lists.data(), qy.cdis.data(), qy.buf);
    if (p.codes == Codes::OTHER) { /* PQ & co: FAISS scans these lists */
        faiss::SearchParametersIVF sp;
        sp.nprobe = qy.nprobe;
        sp.sel = const_cast<faiss::IDSelector *>(qy.sel);
        p.ivf->search_preassigned(1, q, k, qy.lists.data(), qy.cdis.data(), dis,
                                  labels, false, &sp);
        return;
    }
    QueryCodes qc;
    prepare(p, q, &qc);
    vscan_topk top;
    vscan_topk_init(&top, dis, (int64_t *)labels, (int)k);
    ListScan s{p, q, qc, qy.sel, &top, {}};
    for (size_t j = 0; j < qy.nprobe && qy.lists[j] >= 0; j++) {
        float base = qc.offset + (p.by_residual ? qy.cdis[j] : 0.0f);
        scan_list(s, (size_t)qy.lists[j], base);
    }
    fill_tail(vscan_topk_finish(&top), k, dis, labels);
}

} // namespace

namespace vlm_scan
{

bool search(const faiss::Index *index, idx_t n, const float *x, idx_t k,
            const faiss::SearchParameters *params, float *distances,
            idx_t *labels)
{
    Plan p;
    if (!scan_enabled() || k <= 0 || !make_plan(index, &p)) return false;
    auto ivp = dynamic_cast<const faiss::SearchParametersIVF *>(params);
    size_t nprobe = ivp ? ivp->nprobe : p.ivf->nprobe;
    nprobe = std::max<size_t>(1, std::min(nprobe, p.ivf->nlist));
    Query qy{nprobe, params ? params->sel : nullptr, {}, {}, {}};
    qy.lists.resize(nprobe);
    qy.cdis.resize(nprobe);
    for (idx_t i = 0; i < n; i++)
        search_one(p, qy, x + i * p.d, k, distances + i * k, labels + i * k);
    return true;
}

} // namespace vlm_scan
