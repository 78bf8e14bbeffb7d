/*
 * bench_llava.c — LLaVA speed at real shapes with random weights: CLIP
 * ViT-L/14-336 tower + TinyLlama-1.1B-sized decoder.  Reports vision time
 * per image, prompt-processing and generation tokens/s (KV cache), the
 * machine's read bandwidth and the bandwidth bound per generated token, and
 * peak RSS; one JSON line per precision at the end for run.sh.
 *
 *   llava_bench [--dir D] [--tokenizer T] [--gen N] [--threads N]
 *               [--prec f32|bf16|both] [--parts vpg]
 * --parts picks vision (v), a warmed-up prompt timing (p), generation (g).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/llava/llava_bench_ckpt.h"
#include "model/core/build_info.h"
#include "model/llava/llava_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process: on a shared machine, wall time also
 * counts the time other jobs held our cores. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double peak_rss_gb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1048576.0;
}

/* Sums a[0..n) with 16 independent accumulators, so the adds vectorise and
 * the loop is limited by memory, not by one add's latency. */
static float sum16(const float *a, size_t n)
{
    float acc[16] = {0};
    for (size_t i = 0; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) acc[k] += a[i + k];
    float s = 0;
    for (int k = 0; k < 16; k++) s += acc[k];
    return s;
}

/* Best of 5 passes reading a 1 GiB array with all threads: the rate at which
 * a GEMV can stream weights from DRAM. */
static double read_bandwidth_gbs(void)
{
    const size_t n = (size_t)1 << 28, chunk = (size_t)1 << 16;
    float *a = malloc(sizeof(float) * n);
#pragma omp parallel for
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 7);
    double best = 0, sink = 0;
    const int nt = vlm_threads_current();
    for (int r = 0; r < 5; r++) {
        double t = now(), c0 = cpu_now(), s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
        for (size_t c = 0; c < n; c += chunk) s += sum16(a + c, chunk);
        t = now() - t;
        /* per-thread CPU time, if that is shorter than wall time */
        const double c = (cpu_now() - c0) / nt;
        if (c < t) t = c;
        sink += s;
        if (n * 4 / t / 1e9 > best) best = n * 4 / t / 1e9;
    }
    free(a);
    if (sink < 0) printf("%g\n", sink); /* keep the sums alive */
    return best;
}

/* Bytes of weights one generated token streams: every decoder Linear plus
 * lm_head (the embedding table contributes one row). */
static double decoder_weight_bytes(const llama_config *c, int elem)
{
    const double kv = (double)c->dim / c->n_heads * c->n_kv_heads;
    const double per_layer = 2.0 * c->dim * c->dim + 2.0 * kv * c->dim +
                             3.0 * c->dim * c->hidden_dim;
    return elem * (per_layer * c->n_layers + (double)c->vocab_size * c->dim);
}

/* Wall and per-thread CPU seconds since a start mark. */
typedef struct stopwatch {
    double wall, cpu;
} stopwatch;

static stopwatch sw_start(void) { return (stopwatch){now(), cpu_now()}; }

static stopwatch sw_elapsed(stopwatch s)
{
    return (stopwatch){now() - s.wall,
                       (cpu_now() - s.cpu) / vlm_threads_current()};
}

typedef struct result {
    double load_s, vision_s, prompt_tps, gen_tps, ms_per_token, bound_ms;
    double vision_cpu_s, prompt_cpu_tps, cpu_ms_per_token; /* per thread */
    int prompt_len, gen_tokens;
} result;

static int bench_vision(llava_model *m, result *r, char *err)
{
    const int S = llava_image_size(m);
    float *px = malloc(sizeof(float) * 3 * S * S);
    float *e =
        malloc(sizeof(float) * llava_image_tokens(m) * llava_text_dim(m));
    for (int i = 0; i < 3 * S * S; i++)
        px[i] = (float)((i * 7919 % 2001) - 1000) / 700;
    int rc =
        llava_encode_pixels(m, px, 1, e, err); /* warm-up: pages, primitives */
    stopwatch t = sw_start();
    if (!rc) rc = llava_encode_pixels(m, px, 1, e, err);
    t = sw_elapsed(t);
    r->vision_s = t.wall;
    r->vision_cpu_s = t.cpu;
    free(px);
    free(e);
    return rc;
}

static int bench_decoder(llava_model *m, int gen, int warm, result *r,
                         char *err)
{
    const int V = llava_vocab_size(m), D = llava_text_dim(m);
    float *e = calloc((size_t)llava_image_tokens(m) * D, sizeof(float));
    float *logits = malloc(sizeof(float) * V), *x = malloc(sizeof(float) * D);
    for (int i = 0; i < llava_image_tokens(m) * D; i++)
        e[i] = sinf((float)i) * 0.5f;
    llama_state *st = NULL;
    int rc = VLM_OK;
    if (warm) { /* pages in the weights, builds GEMM primitives for this M */
        rc = llava_run_prompt(m, e, NULL, gen, 1, logits, &st, err);
        llama_state_destroy(st);
        st = NULL;
    }
    stopwatch t = sw_start();
    if (!rc) rc = llava_run_prompt(m, e, NULL, gen, 1, logits, &st, err);
    t = sw_elapsed(t);
    if (!rc) {
        r->prompt_len = llama_state_pos(st);
        r->prompt_tps = r->prompt_len / t.wall;
        r->prompt_cpu_tps = r->prompt_len / t.cpu;
    }
    /* the same loop llava_generate runs, without stopping at EOS */
    t = sw_start();
    for (int i = 0; !rc && i < gen; i++) {
        int32_t id = 0;
        for (int k = 1; k < V; k++)
            if (logits[k] > logits[id]) id = k;
        llama_embed_tokens(m->decoder, &id, 1, x);
        rc = llama_forward(st, x, 1, (const int[]){0}, 1, logits, err);
    }
    t = sw_elapsed(t);
    r->cpu_ms_per_token = 1e3 * t.cpu / gen;
    r->gen_tokens = gen;
    r->gen_tps = gen / t.wall;
    r->ms_per_token = 1e3 * t.wall / gen;
    llama_state_destroy(st);
    free(x);
    free(logits);
    free(e);
    return rc;
}

static int run_precision(const char *dir, vlm_precision prec, int threads,
                         int gen, const char *parts, double bw, result *r)
{
    char err[VLM_ERR_MAX];
    llava_options o = {.precision = prec, .threads = threads};
    llava_model *m;
    double t = now();
    int rc = llava_load(dir, &o, &m, err);
    r->load_s = now() - t;
    if (!rc && strchr(parts, 'v')) rc = bench_vision(m, r, err);
    if (!rc)
        rc = bench_decoder(m, strchr(parts, 'g') ? gen : 1,
                           strchr(parts, 'p') != NULL, r, err);
    if (rc) {
        fprintf(stderr, "llava_bench: %s\n", err);
        return rc;
    }
    const int elem = prec == VLM_PREC_BF16 ? 2 : 4;
    r->bound_ms = 1e3 * decoder_weight_bytes(&m->cfg.text, elem) / (bw * 1e9);
    llava_destroy(m);
    return 0;
}

static void print_result(const char *name, const result *r, double bw)
{
    printf(
        "%-5s load %.1f s | vision %.2f s/image (CPU %.2f) | prompt %d tok: "
        "%.1f tok/s (CPU %.1f) | generate %.2f tok/s: %.1f ms/tok wall, %.1f "
        "ms CPU; bound %.1f ms: %.2fx wall, %.2fx CPU | peak RSS %.2f GB\n",
        name, r->load_s, r->vision_s, r->vision_cpu_s, r->prompt_len,
        r->prompt_tps, r->prompt_cpu_tps, r->gen_tps, r->ms_per_token,
        r->cpu_ms_per_token, r->bound_ms, r->ms_per_token / r->bound_ms,
        r->cpu_ms_per_token / r->bound_ms, peak_rss_gb());
    printf("JSON {\"impl\": \"vlmindex\", \"precision\": \"%s\", "
           "\"vision_s\": %.4f, \"vision_cpu_s\": %.4f, \"prompt_tokens\": %d, "
           "\"prompt_tps\": %.2f, \"prompt_cpu_tps\": %.2f, \"gen_tps\": %.3f, "
           "\"ms_per_token\": %.2f, \"cpu_ms_per_token\": %.2f, "
           "\"bound_ms\": %.2f, \"read_gbs\": %.2f, \"peak_rss_gb\": %.3f}\n",
           name, r->vision_s, r->vision_cpu_s, r->prompt_len, r->prompt_tps,
           r->prompt_cpu_tps, r->gen_tps, r->ms_per_token, r->cpu_ms_per_token,
           r->bound_ms, bw, peak_rss_gb());
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *dir = "/tmp/vlm-llava-bench", *tok = NULL, *prec = "both",
               *parts = "vpg";
    int gen = 32, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--tokenizer"))
            tok = argv[i + 1];
        else if (!strcmp(argv[i], "--gen"))
            gen = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--prec"))
            prec = argv[i + 1];
        else if (!strcmp(argv[i], "--parts"))
            parts = argv[i + 1];
        else {
            fprintf(stderr, "llava_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char tokp[4096];
    if (!tok) {
        const char *fx = getenv("VLM_FIXTURES");
        snprintf(tokp, sizeof tokp, "%s/llava-tiny-llama/tokenizer.model",
                 fx ? fx : "../shared/fixtures");
        tok = tokp;
    }
    const llava_bench_shape shape = llava_bench_shape_default();
    double t = now();
    if (llava_bench_ckpt_write(&shape, dir, tok, 1234)) return 1;
    printf("checkpoint %s ready in %.1f s\n", dir, now() - t);
    vlm_threads_enter(threads); /* this program's scope: all of main */
    const double bw = read_bandwidth_gbs();
    printf("read bandwidth %.2f GB/s, threads %d\n", bw, vlm_threads_current());
    char paths[1024]; /* the ISA paths every row below ran on */
    vlm_build_describe(paths, sizeof paths);
    fputs(paths, stdout);
    const struct {
        const char *name;
        vlm_precision p;
    } precs[] = {{"f32", VLM_PREC_F32}, {"bf16", VLM_PREC_BF16}};
    for (int i = 0; i < 2; i++) {
        if (strcmp(prec, "both") && strcmp(prec, precs[i].name)) continue;
        result r = {0};
        if (run_precision(dir, precs[i].p, threads, gen, parts, bw, &r))
            return 1;
        print_result(precs[i].name, &r, bw);
    }
    return 0;
}
