/*
 * bench_ckpt.h — writes a CLIPModel checkpoint folder with random F32
 * weights in the real Hugging Face layout (config.json,
 * preprocessor_config.json, model.safetensors), so benchmarks exercise the
 * real loading path.
 */
#ifndef VLM_BENCH_CKPT_H
#define VLM_BENCH_CKPT_H

typedef struct bench_arch {
    const char *name; /* "ViT-B/32" */
    int v_width, v_inter, v_heads, v_layers, image_size, patch;
    int t_width, t_inter, t_heads, t_layers, vocab, ctx;
    int proj;
} bench_arch;

/* "b32" or "b16"; NULL if unknown. */
const bench_arch *bench_arch_find(const char *key);

/* Creates dir (must not exist or be empty) and fills it.  0 on success. */
int bench_ckpt_write(const bench_arch *a, const char *dir, unsigned seed);

#endif
