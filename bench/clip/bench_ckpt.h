/*
 * bench_ckpt.h — writes a dual-encoder checkpoint folder with random F32
 * weights in the real Hugging Face layout of its family (config.json,
 * preprocessor_config.json, model.safetensors): CLIPModel ViT-B/32 and
 * ViT-B/16, SiglipModel base-patch16-224, ChineseCLIPModel ViT-B/16 (a
 * RoBERTa-wwm-base text tower), so benchmarks exercise the real loading
 * path.
 */
#ifndef VLM_BENCH_CKPT_H
#define VLM_BENCH_CKPT_H

typedef enum bench_family {
    BENCH_CLIP,
    BENCH_SIGLIP,
    BENCH_CHINESE_CLIP,
} bench_family;

typedef struct bench_arch {
    const char *key;  /* "b32" */
    const char *name; /* "ViT-B/32" */
    bench_family family;
    int v_width, v_inter, v_heads, v_layers, image_size, patch;
    int t_width, t_inter, t_heads, t_layers, vocab, ctx;
    int proj;
} bench_arch;

/* "b32", "b16", "siglip-b16" or "cnclip-b16"; NULL if unknown. */
const bench_arch *bench_arch_find(const char *key);

/* Creates dir (must not exist or be empty) and fills it.  0 on success. */
int bench_ckpt_write(const bench_arch *a, const char *dir, unsigned seed);

#endif
