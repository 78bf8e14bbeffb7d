/* llava_bench_ckpt.c — see llava_bench_ckpt.h. */
#include "bench/llava/llava_bench_ckpt.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

llava_bench_shape llava_bench_shape_default(void)
{
    return (llava_bench_shape){1024, 4096, 16, 24, 336, 14,
                               2048, 5632, 22, 32, 4,   32000};
}

/* One tensor: values = offset + scale * U(-1, 1). */
typedef struct spec {
    char name[256];
    int ndim;
    int64_t shape[4];
    float scale, offset;
} spec;

typedef struct specs {
    spec *v;
    int n, cap;
} specs;

static void push(specs *l, const char *name, float scale, float offset,
                 int ndim, int64_t a, int64_t b, int64_t c, int64_t d)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 512;
        l->v = realloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    spec *s = &l->v[l->n++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->ndim = ndim;
    const int64_t sh[4] = {a, b, c, d};
    memcpy(s->shape, sh, sizeof sh);
    s->scale = scale;
    s->offset = offset;
}

/* Weight [out,in] scaled like a Kaiming-uniform init, so activations stay
 * in range through 22 layers. */
static void linear(specs *l, const char *pre, const char *name, int64_t out,
                   int64_t in, int bias)
{
    char n[256];
    snprintf(n, sizeof n, "%s%s.weight", pre, name);
    push(l, n, 1.0f / sqrtf((float)in), 0, 2, out, in, 0, 0);
    if (!bias) return;
    snprintf(n, sizeof n, "%s%s.bias", pre, name);
    push(l, n, 0.02f, 0, 1, out, 0, 0, 0);
}

static void norm(specs *l, const char *pre, const char *name, int64_t w,
                 int bias)
{
    char n[256];
    snprintf(n, sizeof n, "%s%s.weight", pre, name);
    push(l, n, 0.05f, 1.0f, 1, w, 0, 0, 0);
    if (!bias) return;
    snprintf(n, sizeof n, "%s%s.bias", pre, name);
    push(l, n, 0.02f, 0, 1, w, 0, 0, 0);
}

static void vision_specs(const llava_bench_shape *s, specs *l)
{
    const char *P = "vision_tower.vision_model.";
    char p[96];
    const int64_t g = s->image_size / s->patch, W = s->v_width;
    snprintf(p, sizeof p, "%sembeddings.class_embedding", P);
    push(l, p, 0.1f, 0, 1, W, 0, 0, 0);
    snprintf(p, sizeof p, "%sembeddings.patch_embedding.weight", P);
    push(l, p, 0.05f, 0, 4, W, 3, s->patch, s->patch);
    snprintf(p, sizeof p, "%sembeddings.position_embedding.weight", P);
    push(l, p, 0.02f, 0, 2, 1 + g * g, W, 0, 0);
    norm(l, P, "pre_layrnorm", W, 1);
    for (int i = 0; i < s->v_layers; i++) {
        snprintf(p, sizeof p, "%sencoder.layers.%d.", P, i);
        linear(l, p, "self_attn.q_proj", W, W, 1);
        linear(l, p, "self_attn.k_proj", W, W, 1);
        linear(l, p, "self_attn.v_proj", W, W, 1);
        linear(l, p, "self_attn.out_proj", W, W, 1);
        norm(l, p, "layer_norm1", W, 1);
        linear(l, p, "mlp.fc1", s->v_inter, W, 1);
        linear(l, p, "mlp.fc2", W, s->v_inter, 1);
        norm(l, p, "layer_norm2", W, 1);
    }
    norm(l, P, "post_layernorm", W, 1);
}

static void decoder_specs(const llava_bench_shape *s, specs *l)
{
    char p[96];
    const int64_t D = s->dim, kv = s->dim / s->heads * s->kv_heads;
    linear(l, "multi_modal_projector.", "linear_1", D, s->v_width, 1);
    linear(l, "multi_modal_projector.", "linear_2", D, D, 1);
    push(l, "language_model.model.embed_tokens.weight", 0.02f, 0, 2, s->vocab,
         D, 0, 0);
    for (int i = 0; i < s->layers; i++) {
        snprintf(p, sizeof p, "language_model.model.layers.%d.", i);
        norm(l, p, "input_layernorm", D, 0);
        linear(l, p, "self_attn.q_proj", D, D, 0);
        linear(l, p, "self_attn.k_proj", kv, D, 0);
        linear(l, p, "self_attn.v_proj", kv, D, 0);
        linear(l, p, "self_attn.o_proj", D, D, 0);
        norm(l, p, "post_attention_layernorm", D, 0);
        linear(l, p, "mlp.gate_proj", s->hidden, D, 0);
        linear(l, p, "mlp.up_proj", s->hidden, D, 0);
        linear(l, p, "mlp.down_proj", D, s->hidden, 0);
    }
    norm(l, "language_model.model.", "norm", D, 0);
    linear(l, "language_model.", "lm_head", s->vocab, D, 0);
}

static int64_t numel(const spec *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->shape[i];
    return n;
}

static json_object *header(const specs *l)
{
    json_object *h = json_object_new_object();
    int64_t off = 0;
    for (int i = 0; i < l->n; i++) {
        const spec *s = &l->v[i];
        json_object *e = json_object_new_object(),
                    *sh = json_object_new_array(),
                    *of = json_object_new_array();
        for (int d = 0; d < s->ndim; d++)
            json_object_array_add(sh, json_object_new_int64(s->shape[d]));
        json_object_array_add(of, json_object_new_int64(off));
        off += 4 * numel(s);
        json_object_array_add(of, json_object_new_int64(off));
        json_object_object_add(e, "dtype", json_object_new_string("F32"));
        json_object_object_add(e, "shape", sh);
        json_object_object_add(e, "data_offsets", of);
        json_object_object_add(h, s->name, e);
    }
    return h;
}

static int write_tensors(const specs *l, FILE *f, unsigned seed)
{
    uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;
    enum {
        CHUNK = 1 << 20
    };
    float *buf = malloc(sizeof(float) * CHUNK);
    if (!buf) return -1;
    for (int i = 0; i < l->n; i++) {
        const spec *s = &l->v[i];
        for (int64_t left = numel(s); left > 0;) {
            const int n = left < CHUNK ? (int)left : CHUNK;
            for (int k = 0; k < n; k++) { /* xorshift64: fast, good enough */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[k] = s->offset +
                         s->scale * ((float)(x >> 40) * 0x1.0p-23f - 1.0f);
            }
            if (fwrite(buf, sizeof(float), (size_t)n, f) != (size_t)n) {
                free(buf);
                return -1;
            }
            left -= n;
        }
    }
    free(buf);
    return 0;
}

static int write_safetensors(const llava_bench_shape *s, const char *path,
                             unsigned seed)
{
    specs l = {0};
    vision_specs(s, &l);
    decoder_specs(s, &l);
    json_object *h = header(&l);
    const char *js = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
    /* pad the header with spaces to a multiple of 8, as the Python writer
     * does, so tensor data is aligned in the mapping */
    const uint64_t len = strlen(js), hl = (len + 7) & ~(uint64_t)7;
    FILE *f = fopen(path, "wb");
    int rc = !f || fwrite(&hl, 8, 1, f) != 1 || fwrite(js, 1, len, f) != len ||
             fwrite("        ", 1, hl - len, f) != hl - len ||
             write_tensors(&l, f, seed);
    if (f && fclose(f)) rc = 1;
    json_object_put(h);
    free(l.v);
    return rc ? -1 : 0;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static int write_configs(const llava_bench_shape *s, const char *dir)
{
    char cfg[2048], prep[1024];
    snprintf(
        cfg, sizeof cfg,
        "{\"architectures\": [\"LlavaForConditionalGeneration\"],\n"
        " \"model_type\": \"llava\", \"image_token_index\": 32000,\n"
        " \"projector_hidden_act\": \"gelu\", \"vision_feature_layer\": -2,\n"
        " \"vision_feature_select_strategy\": \"default\",\n"
        " \"vision_config\": {\"hidden_size\": %d, \"intermediate_size\": %d,\n"
        "   \"num_attention_heads\": %d, \"num_hidden_layers\": %d,\n"
        "   \"image_size\": %d, \"patch_size\": %d, \"hidden_act\": "
        "\"quick_gelu\",\n"
        "   \"projection_dim\": 768},\n"
        " \"text_config\": {\"model_type\": \"llama\", \"hidden_size\": %d,\n"
        "   \"intermediate_size\": %d, \"num_hidden_layers\": %d,\n"
        "   \"num_attention_heads\": %d, \"num_key_value_heads\": %d,\n"
        "   \"vocab_size\": %d, \"rms_norm_eps\": 1e-05, \"rope_theta\": "
        "10000.0,\n"
        "   \"max_position_embeddings\": 2048, \"tie_word_embeddings\": "
        "false}}\n",
        s->v_width, s->v_inter, s->v_heads, s->v_layers, s->image_size,
        s->patch, s->dim, s->hidden, s->layers, s->heads, s->kv_heads,
        s->vocab);
    snprintf(prep, sizeof prep,
             "{\"crop_size\": {\"height\": %d, \"width\": %d}, "
             "\"do_center_crop\": true,\n"
             " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],\n"
             " \"image_std\": [0.26862954, 0.26130258, 0.27577711],\n"
             " \"rescale_factor\": 0.00392156862745098, \"resample\": 3,\n"
             " \"size\": {\"shortest_edge\": %d}}\n",
             s->image_size, s->image_size, s->image_size);
    return write_text(dir, "config.json", cfg) ||
           write_text(dir, "preprocessor_config.json", prep);
}

static int copy_file(const char *from, const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *in = fopen(from, "rb"), *out = in ? fopen(p, "wb") : NULL;
    int rc = in && out ? 0 : -1;
    char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

int llava_bench_ckpt_write(const llava_bench_shape *s, const char *dir,
                           const char *tokenizer_path, unsigned seed)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (stat(p, &st) == 0) return 0; /* reuse: writing ~5.7 GB takes a while */
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    char tmp[4096 + 8];
    snprintf(tmp, sizeof tmp, "%s.part", p);
    if (write_configs(s, dir) ||
        copy_file(tokenizer_path, dir, "tokenizer.model") ||
        write_safetensors(s, tmp, seed) || rename(tmp, p)) {
        fprintf(stderr, "%s: cannot write the benchmark checkpoint: %s\n", dir,
                strerror(errno));
        return -1;
    }
    return 0;
}
