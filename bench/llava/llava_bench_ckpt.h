/*
 * llava_bench_ckpt.h — writes a LlavaForConditionalGeneration folder with
 * random F32 weights at real shapes (llava-hf layout: config.json,
 * preprocessor_config.json, tokenizer.model, model.safetensors) so the
 * benchmark runs the real loading path.
 */
#ifndef VLM_LLAVA_BENCH_CKPT_H
#define VLM_LLAVA_BENCH_CKPT_H

typedef struct llava_bench_shape {
    /* CLIP vision tower */
    int v_width, v_inter, v_heads, v_layers, image_size, patch;
    /* Llama decoder */
    int dim, hidden, layers, heads, kv_heads, vocab;
} llava_bench_shape;

/* CLIP ViT-L/14-336 + a TinyLlama-1.1B-sized decoder. */
llava_bench_shape llava_bench_shape_default(void);

/* Fills dir (created if missing) unless dir/model.safetensors already
 * exists; tokenizer.model is copied from tokenizer_path.  0 on success,
 * else prints why to stderr. */
int llava_bench_ckpt_write(const llava_bench_shape *s, const char *dir,
                           const char *tokenizer_path, unsigned seed);

#endif
