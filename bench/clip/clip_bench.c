/*
 * clip_bench.c — speed and memory of the dual-encoder towers (CLIP, SigLIP,
 * Chinese-CLIP) on a random-weight checkpoint in the real layout.  Prints
 * one JSON object per measurement.
 *
 *   clip_bench write b32|b16|siglip-b16|cnclip-b16 DIR
 *   clip_bench vision DIR THREADS f32|bf16|f32p|int8 BATCH[,BATCH..] REPS
 *   clip_bench text DIR THREADS f32|bf16|f32p|int8 TOKENS[,TOKENS..] REPS
 *   clip_bench rss DIR text|all
 *   clip_bench peak THREADS     GFLOP/s ceiling of the kernel path in use
 *   clip_bench isa              the widest path this CPU has (no cap)
 *
 * Times are the fastest of REPS runs after a warm-up (the least disturbed
 * on a shared machine; torch_clip.py does the same).  Every row names the
 * kernel path it ran on ("isa", cpu.h: VLMINDEX_MAX_ISA
 * caps it) and the GEMM backend of its precision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "bench/clip/bench_ckpt.h"
#include "bench/clip/fma_peak.h"
#include "model/clip/clip.h"
#include "model/core/cpu.h"

static vlm_precision parse_prec(const char *s)
{
    if (!strcmp(s, "bf16")) return VLM_PREC_BF16;
    if (!strcmp(s, "f32p")) return VLM_PREC_F32_PACKED;
    if (!strcmp(s, "int8")) return VLM_PREC_INT8;
    return VLM_PREC_F32;
}

static clip_model *load(const char *dir, int parts, int threads,
                        vlm_precision prec)
{
    clip_options o = clip_options_default();
    o.parts = parts;
    o.threads = threads;
    o.precision = prec;
    clip_model *m;
    char err[VLM_ERR_MAX];
    if (clip_model_load(dir, &o, &m, err)) {
        fprintf(stderr, "clip_bench: %s\n", err);
        exit(1);
    }
    return m;
}

/* The fastest rep: on a shared machine, the least disturbed one. */
static double bench_best(const double *t, int n)
{
    double b = t[0];
    for (int i = 1; i < n; i++) b = t[i] < b ? t[i] : b;
    return b;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

static void bench_vision(const char *dir, int threads, const char *prec,
                         char *batches, int reps)
{
    clip_model *m = load(dir, CLIP_PART_VISION, threads, parse_prec(prec));
    int S = clip_image_size(m), E = clip_embed_dim(m);
    char err[VLM_ERR_MAX];
    for (char *tok = strtok(batches, ","); tok; tok = strtok(NULL, ",")) {
        int B = atoi(tok);
        size_t npx = (size_t)B * 3 * S * S;
        float *px = malloc(npx * sizeof(float)),
              *emb = malloc((size_t)B * E * 4);
        for (size_t i = 0; i < npx; i++)
            px[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1;
        double *t = malloc((size_t)(reps + 1) * sizeof(double));
        for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
            double t0 = bench_clock_s();
            if (clip_encode_images(m, px, B, emb, NULL, NULL, NULL, err)) {
                fprintf(stderr, "clip_bench: %s\n", err);
                exit(1);
            }
            if (r >= 0) t[r] = bench_clock_s() - t0;
        }
        double best = bench_best(t, reps);
        printf("{\"impl\":\"c\",\"test\":\"vision\",\"prec\":\"%s\","
               "\"threads\":%d,\"batch\":%d,\"value\":%.3f,\"unit\":\"img/"
               "s\",\"isa\":\"%s\",\"backend\":\"%s\"}\n",
               prec, threads, B, B / best, vlm_isa_name(vlm_cpu_isa()),
               vlm_gemm_backend(parse_prec(prec)));
        fflush(stdout);
        free(px);
        free(emb);
        free(t);
    }
    clip_model_destroy(m);
}

/* A row of L real tokens padded to the model's context, as its family's
 * tokenizer lays it out: CLIP start ... end + zeros; SigLIP ids ... </s> +
 * </s> padding (the tower always runs all 64 positions); Chinese-CLIP
 * [CLS] ... [SEP] + zeros. */
static void make_ids(const clip_model *m, int L, int32_t *ids)
{
    const char *fam = clip_model_family(m);
    int ctx = clip_text_context(m), siglip = !strcmp(fam, "siglip");
    int first = !strcmp(fam, "clip") ? 49406 : 101,
        last = !strcmp(fam, "clip") ? 49407 : 102;
    if (L > ctx) L = ctx;
    for (int i = 0; i < ctx; i++) ids[i] = siglip ? 1 : 0;
    for (int i = 0; i < L - 1; i++) ids[i] = 300 + (i * 7919) % 20000;
    if (!siglip) ids[0] = first;
    ids[L - 1] = siglip ? 1 : last;
}

static void bench_text(const char *dir, int threads, const char *prec,
                       char *lens, int reps)
{
    clip_model *m = load(dir, CLIP_PART_TEXT, threads, parse_prec(prec));
    float emb[4096];
    int32_t ids[512];
    char err[VLM_ERR_MAX];
    for (char *tok = strtok(lens, ","); tok; tok = strtok(NULL, ",")) {
        int L = atoi(tok);
        make_ids(m, L, ids);
        double *t = malloc((size_t)(reps + 1) * sizeof(double));
        for (int r = -1; r < reps; r++) {
            double t0 = bench_clock_s();
            if (clip_encode_text_ids(m, ids, 1, emb, NULL, err)) {
                fprintf(stderr, "clip_bench: %s\n", err);
                exit(1);
            }
            if (r >= 0) t[r] = bench_clock_s() - t0;
        }
        printf(
            "{\"impl\":\"c\",\"test\":\"text\",\"prec\":\"%s\",\"threads\":%d,"
            "\"tokens\":%d,\"value\":%.3f,\"unit\":\"ms\",\"isa\":\"%s\","
            "\"backend\":\"%s\"}\n",
            prec, threads, L, 1e3 * bench_best(t, reps),
            vlm_isa_name(vlm_cpu_isa()), vlm_gemm_backend(parse_prec(prec)));
        fflush(stdout);
        free(t);
    }
    clip_model_destroy(m);
}

/* RSS after loading the parts and encoding one input with each. */
static void bench_rss(const char *dir, const char *what)
{
    int parts = !strcmp(what, "text") ? CLIP_PART_TEXT : CLIP_PART_ALL;
    long before = rss_kb();
    double t0 = bench_now_s();
    clip_model *m = load(dir, parts, 1, VLM_PREC_F32);
    double load_ms = 1e3 * (bench_now_s() - t0);
    char err[VLM_ERR_MAX];
    int32_t ids[512];
    float emb[4096];
    make_ids(m, 8, ids);
    if (clip_encode_text_ids(m, ids, 1, emb, NULL, err)) exit(1);
    if (parts & CLIP_PART_VISION) {
        int S = clip_image_size(m);
        float *px = calloc((size_t)3 * S * S, sizeof(float));
        if (clip_encode_images(m, px, 1, emb, NULL, NULL, NULL, err)) exit(1);
        free(px);
    }
    printf("{\"impl\":\"c\",\"test\":\"rss\",\"parts\":\"%s\",\"value\":%.1f,"
           "\"unit\":\"MB\",\"load_ms\":%.1f,\"rss_before_mb\":%.1f}\n",
           what, rss_kb() / 1024.0, load_ms, before / 1024.0);
    clip_model_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "write")) {
        const bench_arch *a = bench_arch_find(argv[2]);
        if (!a || bench_ckpt_write(a, argv[3], 12345u)) {
            fprintf(stderr, "clip_bench: cannot write %s checkpoint to %s\n",
                    argv[2], argv[3]);
            return 1;
        }
        return 0;
    }
    if (argc == 7 && !strcmp(argv[1], "vision")) {
        bench_vision(argv[2], atoi(argv[3]), argv[4], argv[5], atoi(argv[6]));
        return 0;
    }
    if (argc == 7 && !strcmp(argv[1], "text")) {
        bench_text(argv[2], atoi(argv[3]), argv[4], argv[5], atoi(argv[6]));
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "rss")) {
        bench_rss(argv[2], argv[3]);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "peak")) {
        printf("{\"impl\":\"c\",\"test\":\"peak\",\"threads\":%d,"
               "\"value\":%.1f,\"unit\":\"GFLOP/s\",\"isa\":\"%s\"}\n",
               atoi(argv[2]), fma_peak_gflops(atoi(argv[2])),
               vlm_isa_name(vlm_cpu_isa()));
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "isa")) {
        unsetenv("VLMINDEX_MAX_ISA");
        printf("%s\n", vlm_isa_name(vlm_cpu_isa()));
        return 0;
    }
    fprintf(
        stderr,
        "usage: clip_bench write b32|b16|siglip-b16|cnclip-b16 DIR\n"
        "       clip_bench vision DIR THREADS f32|bf16|f32p|int8 BATCHES "
        "REPS\n"
        "       clip_bench text DIR THREADS f32|bf16|f32p|int8 TOKENS REPS\n"
        "       clip_bench rss DIR text|all\n"
        "       clip_bench peak THREADS | isa\n");
    return 2;
}
