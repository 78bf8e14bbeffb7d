/*
 * vector_index_kind.c — which kind of index for which size and choice, and
 * the sizes that go with it (lists, probes, PQ sub-vectors, refine depth).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faiss/c_api/IndexIVF_c.h>

#include "schema/faiss_c_compat.h"
#include "schema/vector_index_internal.h"
#include "schema/vector_scan.h"

#define CHOICE_META_KEY         "vector_index"

#define MIN_POINTS_PER_CENTROID VINDEX_MIN_POINTS_PER_CENTROID
#define PQ_MIN_TRAIN            VINDEX_PQ_MIN_TRAIN

static const char *const kind_names[] = {"exact", "ivf-flat", "ivf-sq8",
                                         "ivf-pq"};
static const char *const choice_names[] = {"default", "auto", "flat", "sq8",
                                           "ivfpq"};

const char *vector_index_kind_name(int kind)
{
    return kind >= 0 && kind <= VECTOR_INDEX_IVF_PQ ? kind_names[kind] : "?";
}

const char *vector_index_choice_name(int choice)
{
    return choice >= 0 && choice <= VECTOR_INDEX_CHOICE_PQ
               ? choice_names[choice]
               : "?";
}

int vector_index_parse_choice(const char *name, int *choice, char *err)
{
    static const struct {
        const char *name;
        int choice;
    } names[] = {
        {"auto", VECTOR_INDEX_CHOICE_AUTO},
        {"flat", VECTOR_INDEX_CHOICE_FLAT},
        {"ivf-flat", VECTOR_INDEX_CHOICE_FLAT},
        {"sq8", VECTOR_INDEX_CHOICE_SQ8},
        {"ivf-sq8", VECTOR_INDEX_CHOICE_SQ8},
        {"ivfpq", VECTOR_INDEX_CHOICE_PQ},
        {"ivf-pq", VECTOR_INDEX_CHOICE_PQ},
        {"pq", VECTOR_INDEX_CHOICE_PQ},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *choice = names[i].choice;
            return VLM_OK;
        }
    vlm_set_err(err, "unknown index kind '%s': use auto, flat, sq8 or ivfpq",
                name ? name : "");
    return VLM_EINVAL;
}

int vindex_load_choice(collection *c, int *choice, char *err)
{
    char buf[32];
    int rc = collection_meta_get(c, CHOICE_META_KEY, buf, sizeof buf, err);
    *choice = VECTOR_INDEX_CHOICE_AUTO;
    if (rc == VLM_ENOTFOUND) return VLM_OK;
    if (rc != VLM_OK) return rc;
    if (vector_index_parse_choice(buf, choice, NULL) != VLM_OK)
        *choice = VECTOR_INDEX_CHOICE_AUTO; /* unknown value: a newer writer */
    return VLM_OK;
}

int vector_index_set_choice(vector_index *vi, int choice, char *err)
{
    if (choice <= VECTOR_INDEX_CHOICE_DEFAULT ||
        choice > VECTOR_INDEX_CHOICE_PQ) {
        vlm_set_err(err, "set choice: invalid index kind %d", choice);
        return VLM_EINVAL;
    }
    int rc = collection_meta_set(vi->c, CHOICE_META_KEY,
                                 vector_index_choice_name(choice), err);
    if (rc != VLM_OK) return rc;
    vi->choice = choice;
    snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
             "index kind set to %s", vector_index_choice_name(choice));
    return vector_index_rebuild(vi, err);
}

/* The approximate kind a choice asks for at n vectors. */
static int approx_kind(const vector_index *vi, int64_t n)
{
    switch (vi->choice) {
    case VECTOR_INDEX_CHOICE_FLAT: return VECTOR_INDEX_IVF;
    case VECTOR_INDEX_CHOICE_SQ8: return VECTOR_INDEX_IVF_SQ8;
    case VECTOR_INDEX_CHOICE_PQ:
        return n >= PQ_MIN_TRAIN ? VECTOR_INDEX_IVF_PQ : VECTOR_INDEX_IVF_SQ8;
    default:
        return n >= vi->opt.pq_threshold && n >= PQ_MIN_TRAIN
                   ? VECTOR_INDEX_IVF_PQ
                   : VECTOR_INDEX_IVF_SQ8;
    }
}

int vindex_kind_for(const vector_index *vi, int64_t n)
{
    if (vi->opt.approx_threshold <= 0 || n < vi->opt.approx_threshold)
        return VECTOR_INDEX_EXACT;
    return approx_kind(vi, n);
}

/* Lists ~ sqrt(n), as a power of two, but never fewer than 39 training
 * points per list (FAISS's minimum; below it, it warns on stderr). */
int vindex_choose_nlist(const vector_index *vi, int64_t n)
{
    if (vi->opt.nlist > 0) return vi->opt.nlist;
    int nlist = 64;
    while ((int64_t)nlist * nlist * 2 < n) nlist *= 2;
    while (nlist > 1 && (int64_t)nlist * MIN_POINTS_PER_CENTROID > n)
        nlist /= 2;
    return nlist;
}

/* Enough lists to scan max(3n/64, 16384) vectors.  In bench/schema
 * (README.md) recall@10 at a fixed fraction grows with n: at 1M, 3/64
 * (48 of 1024 lists) gives 0.985; at 100k, 16k scanned vectors 0.99. */
int vindex_default_nprobe(int nlist, int64_t ntotal)
{
    double frac = ntotal > 0 ? 16384.0 / (double)ntotal : 1;
    if (frac < 3.0 / 64) frac = 3.0 / 64;
    int p = (int)ceil(frac * nlist);
    return p < 1 ? 1 : p > nlist ? nlist : p;
}

int vindex_pq_m(int dims)
{
    int m = dims / 8 > 0 ? dims / 8 : 1;
    while (m > 1 && dims % m != 0) m--;
    return m;
}

/* Exact kinds fetch what is asked (the re-scoring only checks them); the
 * codes fetch more so that re-scoring can restore the exact order.  At 1M
 * low-rank vectors, 48 probes (bench/schema/README.md): PQ recall@10 is
 * 0.923 / 0.964 / 0.974 / 0.977 with 8 / 16 / 32 / 64 candidates per hit
 * (0.977 = what the probes allow), 32 costing ~2 ms more than 16 and 64
 * ~25 ms more (one SQLite read per candidate); SQ8 reaches the probes'
 * recall with 4. */
int vindex_refine_factor(const vector_index *vi, int kind)
{
    if (vi->opt.refine > 0) return vi->opt.refine;
    return kind == VECTOR_INDEX_IVF_PQ    ? 32
           : kind == VECTOR_INDEX_IVF_SQ8 ? 4
                                          : 1;
}

/* Float32 kinds: summation order only.  SQ8: half a step of 1/255 of each
 * dimension's range, summed over dimensions, stays far below 0.1 for unit
 * vectors.  PQ approximations can be off by tenths, so only ids and
 * finiteness are checked for it. */
float vindex_score_tolerance(int kind)
{
    return kind == VECTOR_INDEX_IVF_PQ    ? INFINITY
           : kind == VECTOR_INDEX_IVF_SQ8 ? 0.1f
                                          : 1e-3f;
}

/* "np": no polysemous training, which FAISS would otherwise run for PQ
 * (minutes of simulated annealing for Hamming filtering we do not use). */
void vindex_factory_string(int kind, int nlist, int dims, char *buf, size_t n)
{
    if (kind == VECTOR_INDEX_IVF_PQ)
        snprintf(buf, n, "IVF%d,PQ%dnp", nlist, vindex_pq_m(dims));
    else
        snprintf(buf, n, "IVF%d,%s", nlist,
                 kind == VECTOR_INDEX_IVF_SQ8 ? "SQ8" : "Flat");
}

void vindex_refresh_info(vector_index *vi)
{
    vector_index_info *in = &vi->info;
    FaissIndexIVF *ivf = vi->index ? faiss_IndexIVF_cast(vi->index) : NULL;
    int nlist = ivf ? (int)faiss_IndexIVF_nlist(ivf) : 1;
    in->ntotal = vi->index ? faiss_Index_ntotal(vi->index) : 0;
    in->kind = vi->kind;
    in->choice = vi->choice;
    in->nlist = nlist > 1 ? nlist : 0;
    in->nprobe = nlist == 1 ? 0
                 : vi->opt.nprobe > 0
                     ? (vi->opt.nprobe < nlist ? vi->opt.nprobe : nlist)
                     : vindex_default_nprobe(nlist, in->ntotal);
    in->refine = vindex_refine_factor(vi, in->kind);
    in->scan_isa = vscan_isa();
}
