/*
 * gemm_dnnl.c — the oneDNN backend of vlm_linear: matmul primitives cached
 * per (M, bias, activation, accumulate), weights reordered once into the
 * blocked layout oneDNN picks, bf16 or fp32.
 *
 * Why cache per M: a primitive is built for fixed shapes; batches come in a
 * few sizes (1, 8, 32 images, a text prefix), so the list stays short.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "model/core/cpu.h"
#include "model/core/dtype_convert.h"
#include "model/core/gemm_internal.h"

typedef struct dnnl_prim {
    int M, has_bias, accumulate;
    vlm_act act;
    dnnl_primitive_t prim;
    struct dnnl_prim *next;
} dnnl_prim;

struct dnnl_weight {
    int out, in, bf16;
    dnnl_memory_desc_t wmd; /* the packed layout */
    void *packed;           /* data in wmd's layout */
    dnnl_memory_t wmem;
    dnnl_prim *prims;
    pthread_mutex_t lock;
};

static dnnl_engine_t g_engine;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* VLMINDEX_MAX_ISA caps oneDNN too, unless DNNL_MAX_CPU_ISA says otherwise
 * (oneDNN reads that itself).  Must precede every primitive. */
static void cap_isa(void)
{
#if defined(__x86_64__)
    if (getenv("DNNL_MAX_CPU_ISA")) return;
    switch (vlm_cpu_isa()) {
    case VLM_ISA_GENERIC: dnnl_set_max_cpu_isa(dnnl_cpu_isa_sse41); break;
    case VLM_ISA_AVX2: dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2); break;
    default: break;
    }
#endif
}

static void engine_init(void)
{
    cap_isa();
    dnnl_engine_create(&g_engine, dnnl_cpu, 0);
}

/* Each calling thread gets its own stream and bf16 staging buffer. */
static _Thread_local dnnl_stream_t t_stream;
static _Thread_local uint16_t *t_src16;
static _Thread_local size_t t_src16_cap;

static dnnl_stream_t stream_get(void)
{
    if (!t_stream)
        dnnl_stream_create(&t_stream, g_engine, dnnl_stream_default_flags);
    return t_stream;
}

static const uint16_t *to_bf16(const float *x, size_t n)
{
    if (n > t_src16_cap) {
        free(t_src16);
        t_src16 = malloc(n * sizeof(uint16_t));
        if (!t_src16) abort();
        t_src16_cap = n;
    }
    uint16_t *d = t_src16;
    size_t chunk = 16384, nchunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t c = 0; c < nchunks; c++)
        vlm_f32_to_bf16_n(x + c * chunk, d + c * chunk,
                          c == nchunks - 1 ? n - c * chunk : chunk);
    return d;
}

static void md_plain(dnnl_memory_desc_t *md, int64_t r, int64_t c,
                     dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    dnnl_dims_t dims = {r, c};
    dnnl_memory_desc_init_by_tag(md, 2, dims, dt, tag);
}

/* Builds the matmul primitive descriptor for M rows; wmd NULL = "any". */
static dnnl_status_t matmul_pd(const dnnl_weight *dw, int M, int has_bias,
                               vlm_act act, int accumulate,
                               const dnnl_memory_desc_t *wmd,
                               dnnl_primitive_desc_t *pd)
{
    dnnl_data_type_t dt = dw->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t src, wei, bia, dst;
    md_plain(&src, M, dw->in, dt, dnnl_ab);
    if (wmd)
        wei = *wmd;
    else
        md_plain(&wei, dw->in, dw->out, dt, dnnl_format_tag_any);
    md_plain(&bia, 1, dw->out, dnnl_f32, dnnl_ab);
    md_plain(&dst, M, dw->out, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t desc;
    dnnl_status_t st =
        dnnl_matmul_desc_init(&desc, &src, &wei, has_bias ? &bia : NULL, &dst);
    if (st != dnnl_success) return st;
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_create(&po);
    if (act == VLM_ACT_QUICK_GELU)
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.702f,
                                     0.0f);
    else if (act == VLM_ACT_GELU)
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_gelu_erf, 0.0f,
                                     0.0f);
    else if (act == VLM_ACT_GELU_TANH)
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_gelu_tanh, 0.0f,
                                     0.0f);
    if (accumulate) dnnl_post_ops_append_sum(po, 1.0f);
    dnnl_primitive_attr_set_post_ops(attr, po);
    st = dnnl_primitive_desc_create(pd, &desc, attr, g_engine, NULL);
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    return st;
}

/* Reorders the fp32 [out][in] matrix (a K x N matrix in "ba" order) into
 * dw->wmd. */
static int pack_weights(dnnl_weight *dw, const float *w, char *err)
{
    dnnl_memory_desc_t src_md;
    md_plain(&src_md, dw->in, dw->out, dnnl_f32, dnnl_ba);
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_status_t st = dnnl_memory_create(&src, &src_md, g_engine, (void *)w);
    if (st == dnnl_success)
        st = dnnl_memory_create(&dw->wmem, &dw->wmd, g_engine,
                                DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&rpd, &src_md, g_engine,
                                                &dw->wmd, g_engine, NULL);
    if (st == dnnl_success) st = dnnl_primitive_create(&r, rpd);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src},
                                   {DNNL_ARG_TO, dw->wmem}};
        st = dnnl_primitive_execute(r, stream_get(), 2, args);
        if (st == dnnl_success) st = dnnl_stream_wait(stream_get());
    }
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (src) dnnl_memory_destroy(src);
    if (st != dnnl_success) {
        vlm_set_err(err, "oneDNN could not pack a %dx%d weight (status %d)",
                    dw->out, dw->in, (int)st);
        return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

static int g_bf16_ok;
static pthread_once_t g_bf16_once = PTHREAD_ONCE_INIT;

/* A bf16 matmul descriptor exists only where oneDNN has bf16 code for this
 * CPU (under the ISA cap). */
static void bf16_probe(void)
{
    pthread_once(&g_once, engine_init);
    if (!g_engine) return;
    dnnl_weight dw = {.out = 64, .in = 64, .bf16 = 1};
    dnnl_primitive_desc_t pd;
    if (matmul_pd(&dw, 16, 1, VLM_ACT_NONE, 0, NULL, &pd) != dnnl_success)
        return;
    dnnl_primitive_desc_destroy(pd);
    g_bf16_ok = 1;
}

int gemm_dnnl_bf16_available(void)
{
    pthread_once(&g_bf16_once, bf16_probe);
    return g_bf16_ok;
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
    }
}

int gemm_dnnl_describe(char *buf, size_t n)
{
    pthread_once(&g_once, engine_init);
    const dnnl_version_t *v = dnnl_version();
    return snprintf(buf, n, "onednn %d.%d.%d (%s)", v->major, v->minor,
                    v->patch, isa_name(dnnl_get_effective_cpu_isa()));
}

int gemm_dnnl_weight_create(const float *w, int out, int in, int bf16,
                            dnnl_weight **out_dw, char *err)
{
    pthread_once(&g_once, engine_init);
    *out_dw = NULL;
    if (!g_engine) {
        vlm_set_err(err, "oneDNN CPU engine unavailable");
        return VLM_EUNSUPPORTED;
    }
    dnnl_weight *dw = calloc(1, sizeof *dw);
    if (!dw) return VLM_ENOMEM;
    dw->out = out;
    dw->in = in;
    dw->bf16 = bf16;
    pthread_mutex_init(&dw->lock, NULL);
    /* Let oneDNN choose the weight layout for a typical batch (M = 128);
     * every later M reuses that layout. */
    dnnl_primitive_desc_t pd;
    if (matmul_pd(dw, 128, 1, VLM_ACT_NONE, 0, NULL, &pd) != dnnl_success) {
        vlm_set_err(err, "oneDNN has no %s matmul for a %dx%d weight",
                    bf16 ? "bf16" : "f32", out, in);
        gemm_dnnl_weight_destroy(dw);
        return VLM_EUNSUPPORTED;
    }
    dw->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    int rc = pack_weights(dw, w, err);
    if (rc != VLM_OK) {
        gemm_dnnl_weight_destroy(dw);
        return rc;
    }
    *out_dw = dw;
    return VLM_OK;
}

void gemm_dnnl_weight_destroy(dnnl_weight *dw)
{
    if (!dw) return;
    for (dnnl_prim *p = dw->prims, *n; p; p = n) {
        n = p->next;
        dnnl_primitive_destroy(p->prim);
        free(p);
    }
    if (dw->wmem) dnnl_memory_destroy(dw->wmem);
    pthread_mutex_destroy(&dw->lock);
    free(dw);
}

static dnnl_primitive_t prim_get(dnnl_weight *dw, int M, int has_bias,
                                 vlm_act act, int accumulate)
{
    pthread_mutex_lock(&dw->lock);
    dnnl_prim *p = dw->prims;
    while (p && !(p->M == M && p->has_bias == has_bias && p->act == act &&
                  p->accumulate == accumulate))
        p = p->next;
    if (!p) {
        dnnl_primitive_desc_t pd;
        if (matmul_pd(dw, M, has_bias, act, accumulate, &dw->wmd, &pd) !=
            dnnl_success)
            abort(); /* shapes were validated at create: cannot happen */
        p = calloc(1, sizeof *p);
        if (!p || dnnl_primitive_create(&p->prim, pd) != dnnl_success) abort();
        dnnl_primitive_desc_destroy(pd);
        p->M = M;
        p->has_bias = has_bias;
        p->act = act;
        p->accumulate = accumulate;
        p->next = dw->prims;
        dw->prims = p;
    }
    pthread_mutex_unlock(&dw->lock);
    return p->prim;
}

void gemm_dnnl_linear(dnnl_weight *dw, const float *bias, const float *x, int M,
                      float *y, vlm_act act, int accumulate)
{
    dnnl_primitive_t prim = prim_get(dw, M, bias != NULL, act, accumulate);
    dnnl_data_type_t dt = dw->bf16 ? dnnl_bf16 : dnnl_f32;
    const void *src = dw->bf16 ? (const void *)to_bf16(x, (size_t)M * dw->in)
                               : (const void *)x;
    dnnl_memory_desc_t smd, dmd, bmd;
    md_plain(&smd, M, dw->in, dt, dnnl_ab);
    md_plain(&dmd, M, dw->out, dnnl_f32, dnnl_ab);
    md_plain(&bmd, 1, dw->out, dnnl_f32, dnnl_ab);
    dnnl_memory_t ms, md, mb = NULL;
    dnnl_memory_create(&ms, &smd, g_engine, (void *)src);
    dnnl_memory_create(&md, &dmd, g_engine, y);
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, dw->wmem}, {DNNL_ARG_DST, md}};
    int nargs = 3;
    if (bias) {
        dnnl_memory_create(&mb, &bmd, g_engine, (void *)bias);
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mb};
    }
    if (dnnl_primitive_execute(prim, stream_get(), nargs, args) != dnnl_success)
        abort();
    dnnl_stream_wait(stream_get());
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    if (mb) dnnl_memory_destroy(mb);
}
