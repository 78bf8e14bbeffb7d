/* tokenizer_bench.c — CLIP tokenizer timings: load (vocab.json+merges.txt),
 * per-query encode, and a 1 MB input.
 * Usage: tokenizer_bench [TOKENIZER_DIR]  (default $VLM_FIXTURES/tokenizer-clip) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/tokenizer/clip_tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double time_loads(const char *dir, int reps, clip_tokenizer **keep)
{
    char err[VLM_ERR_MAX];
    double best = 1e9;
    for (int i = 0; i < reps; i++) {
        clip_tokenizer *tok = NULL;
        double t0 = now();
        if (clip_tokenizer_create(dir, &tok, err) != VLM_OK) {
            fprintf(stderr, "tokenizer_bench: %s\n", err);
            exit(1);
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
        if (i + 1 < reps)
            clip_tokenizer_destroy(tok);
        else
            *keep = tok;
    }
    return best;
}

static void time_query(const clip_tokenizer *tok, const char *q, int reps)
{
    int32_t ids[CLIP_CONTEXT_LEN];
    char err[VLM_ERR_MAX];
    int n = 0;
    double t0 = now();
    for (int i = 0; i < reps; i++)
        n = clip_tokenizer_encode_context(tok, q, ids, CLIP_CONTEXT_LEN, 0,
                                          err);
    double us = (now() - t0) / reps * 1e6;
    printf("  %7.2f us  %2d tokens  \"%s\"\n", us, n, q);
}

static void time_megabyte(const clip_tokenizer *tok, const char *label,
                          char fill)
{
    size_t n = 1 << 20;
    char *text = malloc(n + 1);
    const char *words = "a photo of the lung, 42 nodules; ";
    for (size_t i = 0; i < n; i++)
        text[i] = fill ? fill : words[i % strlen(words)];
    text[n] = 0;
    char err[VLM_ERR_MAX];
    int32_t ids[CLIP_CONTEXT_LEN];
    double t0 = now();
    clip_tokenizer_encode_context(tok, text, ids, CLIP_CONTEXT_LEN, 0, err);
    double t1 = now();
    int total = clip_tokenizer_encode(tok, text, NULL, 0, err);
    double t2 = now();
    printf("1 MB %-12s context77 %.1f ms, full encode %.1f ms (%d ids)\n",
           label, (t1 - t0) * 1e3, (t2 - t1) * 1e3, total);
    free(text);
}

int main(int argc, char **argv)
{
    char dir[4096];
    const char *fx = getenv("VLM_FIXTURES");
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "%s/tokenizer-clip",
                 fx ? fx : "../shared/fixtures");
    clip_tokenizer *tok;
    printf("load (best of 5): %.1f ms\n", time_loads(dir, 5, &tok) * 1e3);
    printf("encode_context per query (mean of 10000):\n");
    time_query(tok, "a photo of a cat", 10000);
    time_query(tok, "red flowers and blue butterfly on green grass", 10000);
    time_query(tok, "CT image of the lung with a nodule, axial slice", 10000);
    time_query(tok, "生成一张有红色花朵和蓝色蝴蝶的草地图片", 10000);
    time_megabyte(tok, "of words", 0);
    time_megabyte(tok, "of 'q'", 'q');
    clip_tokenizer_destroy(tok);
    return 0;
}
