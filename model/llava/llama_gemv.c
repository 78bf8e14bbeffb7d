/* llama_gemv.c — see llama_gemv.h. */
#include "model/llava/llama_gemv.h"

#include <stdlib.h>
#include <string.h>

#include "model/core/kernels.h"

int llama_gemv_init(llama_gemv *g, const st_tensor *t, vlm_precision prec,
                    char *err)
{
    memset(g, 0, sizeof *g);
    g->out = (int)t->shape[0];
    g->in = (int)t->shape[1];
    const uintptr_t addr = (uintptr_t)t->data;
    if (prec == VLM_PREC_F32) {
        if (t->dtype == ST_F32 && addr % 4 == 0) g->f32 = t->data;
        return VLM_OK;
    }
    if (t->dtype == ST_BF16 && addr % 2 == 0) {
        g->bf16 = t->data;
        return VLM_OK;
    }
    const size_t n = (size_t)t->numel;
    g->owned = malloc(sizeof(uint16_t) * n);
    if (!g->owned) {
        vlm_set_err(err, "out of memory converting %s to bf16", t->name);
        return VLM_ENOMEM;
    }
    int rc = vlm_tensor_to_bf16(t, g->owned, n, err);
    if (rc) {
        llama_gemv_free(g);
        return rc;
    }
    g->bf16 = g->owned;
    return VLM_OK;
}

void llama_gemv_free(llama_gemv *g)
{
    free(g->owned);
    memset(g, 0, sizeof *g);
}

void llama_gemv_run(const llama_gemv *g, const float *x, float *y,
                    int accumulate)
{
    enum {
        ROWS = 64
    }; /* per task: 64 rows stream 64 * in weights */
    const int nblocks = (g->out + ROWS - 1) / ROWS;
    const int nt = g->out >= 256 ? vlm_threads_current() : 1;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int b = 0; b < nblocks; b++) {
        const int r = b * ROWS, n = g->out - r < ROWS ? g->out - r : ROWS;
        const size_t off = (size_t)r * g->in;
        if (g->bf16)
            vlm_rows_bf16(g->bf16 + off, n, g->in, x, 1, y + r, g->out,
                          accumulate);
        else
            vlm_rows_f32(g->f32 + off, n, g->in, x, 1, y + r, g->out,
                         accumulate);
    }
}
