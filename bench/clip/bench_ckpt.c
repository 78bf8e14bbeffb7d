/*
 * bench_ckpt.c — a random-weight CLIPModel checkpoint writer for benchmarks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/clip/bench_ckpt.h"

static const bench_arch ARCHS[] = {
    {"b32", "ViT-B/32", BENCH_CLIP, 768, 3072, 12, 12, 224, 32, 512, 2048, 8,
     12, 49408, 77, 512},
    {"b16", "ViT-B/16", BENCH_CLIP, 768, 3072, 12, 12, 224, 16, 512, 2048, 8,
     12, 49408, 77, 512},
    {"siglip-b16", "SigLIP-B/16-224", BENCH_SIGLIP, 768, 3072, 12, 12, 224, 16,
     768, 3072, 12, 12, 32000, 64, 768},
    {"cnclip-b16", "Chinese-CLIP-B/16", BENCH_CHINESE_CLIP, 768, 3072, 12, 12,
     224, 16, 768, 3072, 12, 12, 21128, 512, 512},
};

const bench_arch *bench_arch_find(const char *key)
{
    for (size_t i = 0; i < sizeof ARCHS / sizeof *ARCHS; i++)
        if (!strcmp(key, ARCHS[i].key)) return &ARCHS[i];
    return NULL;
}

typedef struct tensor_spec {
    char name[128];
    int ndim;
    long shape[4];
    float scale, offset; /* values = offset + scale * U(-1,1) */
} tensor_spec;

typedef struct spec_list {
    tensor_spec *t;
    int n, cap;
} spec_list;

static void add(spec_list *l, const char *name, int ndim, long a, long b,
                long c, long d, float scale, float offset)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->t = realloc(l->t, (size_t)l->cap * sizeof *l->t);
    }
    tensor_spec *t = &l->t[l->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    long s[4] = {a, b, c, d};
    memcpy(t->shape, s, sizeof s);
    t->scale = scale;
    t->offset = offset;
}

static void add_linear(spec_list *l, const char *pre, long out, long in)
{
    char n[128];
    snprintf(n, sizeof n, "%sweight", pre);
    add(l, n, 2, out, in, 0, 0, 1.7f / 40.0f, 0); /* ~ init std 0.02..0.04 */
    snprintf(n, sizeof n, "%sbias", pre);
    add(l, n, 1, out, 0, 0, 0, 0.02f, 0);
}

static void add_norm(spec_list *l, const char *pre, long w)
{
    char n[128];
    snprintf(n, sizeof n, "%sweight", pre);
    add(l, n, 1, w, 0, 0, 0, 0.1f, 1.0f);
    snprintf(n, sizeof n, "%sbias", pre);
    add(l, n, 1, w, 0, 0, 0, 0.02f, 0);
}

static void add_encoder(spec_list *l, const char *pre, int layers, long w,
                        long inter)
{
    char p[128];
    for (int i = 0; i < layers; i++) {
        const char *lin[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
        for (int j = 0; j < 4; j++) {
            snprintf(p, sizeof p, "%slayers.%d.self_attn.%s.", pre, i, lin[j]);
            add_linear(l, p, w, w);
        }
        snprintf(p, sizeof p, "%slayers.%d.layer_norm1.", pre, i);
        add_norm(l, p, w);
        snprintf(p, sizeof p, "%slayers.%d.mlp.fc1.", pre, i);
        add_linear(l, p, inter, w);
        snprintf(p, sizeof p, "%slayers.%d.mlp.fc2.", pre, i);
        add_linear(l, p, w, inter);
        snprintf(p, sizeof p, "%slayers.%d.layer_norm2.", pre, i);
        add_norm(l, p, w);
    }
}

/* BertLayer names (Chinese-CLIP's text tower). */
static void add_bert_encoder(spec_list *l, const char *pre, int layers, long w,
                             long inter)
{
    static const char *const lin[4] = {
        "attention.self.query.", "attention.self.key.", "attention.self.value.",
        "attention.output.dense."};
    char p[160];
    for (int i = 0; i < layers; i++) {
        for (int j = 0; j < 4; j++) {
            snprintf(p, sizeof p, "%slayer.%d.%s", pre, i, lin[j]);
            add_linear(l, p, w, w);
        }
        snprintf(p, sizeof p, "%slayer.%d.attention.output.LayerNorm.", pre, i);
        add_norm(l, p, w);
        snprintf(p, sizeof p, "%slayer.%d.intermediate.dense.", pre, i);
        add_linear(l, p, inter, w);
        snprintf(p, sizeof p, "%slayer.%d.output.dense.", pre, i);
        add_linear(l, p, w, inter);
        snprintf(p, sizeof p, "%slayer.%d.output.LayerNorm.", pre, i);
        add_norm(l, p, w);
    }
}

static void add_clip_text(const bench_arch *a, spec_list *l)
{
    add(l, "text_model.embeddings.token_embedding.weight", 2, a->vocab,
        a->t_width, 0, 0, 0.02f, 0);
    add(l, "text_model.embeddings.position_embedding.weight", 2, a->ctx,
        a->t_width, 0, 0, 0.01f, 0);
    add_encoder(l, "text_model.encoder.", a->t_layers, a->t_width, a->t_inter);
    add_norm(l, "text_model.final_layer_norm.", a->t_width);
    if (a->family == BENCH_SIGLIP) {
        add_linear(l, "text_model.head.", a->proj, a->t_width);
        return;
    }
    add(l, "text_projection.weight", 2, a->proj, a->t_width, 0, 0, 0.04f, 0);
}

static void add_bert_text(const bench_arch *a, spec_list *l)
{
    long w = a->t_width;
    add(l, "text_model.embeddings.word_embeddings.weight", 2, a->vocab, w, 0, 0,
        0.02f, 0);
    add(l, "text_model.embeddings.position_embeddings.weight", 2, a->ctx, w, 0,
        0, 0.02f, 0);
    add(l, "text_model.embeddings.token_type_embeddings.weight", 2, 2, w, 0, 0,
        0.02f, 0);
    add_norm(l, "text_model.embeddings.LayerNorm.", w);
    add_bert_encoder(l, "text_model.encoder.", a->t_layers, w, a->t_inter);
    add(l, "text_projection.weight", 2, a->proj, w, 0, 0, 0.04f, 0);
}

/* CLIP's ViT (also Chinese-CLIP's): CLS, pre_layrnorm, visual_projection. */
static void add_clip_vision(const bench_arch *a, spec_list *l)
{
    long g = a->image_size / a->patch, T = 1 + g * g;
    add(l, "vision_model.embeddings.class_embedding", 1, a->v_width, 0, 0, 0,
        0.1f, 0);
    add(l, "vision_model.embeddings.patch_embedding.weight", 4, a->v_width, 3,
        a->patch, a->patch, 0.02f, 0);
    add(l, "vision_model.embeddings.position_embedding.weight", 2, T,
        a->v_width, 0, 0, 0.02f, 0);
    add_norm(l, "vision_model.pre_layrnorm.", a->v_width);
    add_encoder(l, "vision_model.encoder.", a->v_layers, a->v_width,
                a->v_inter);
    add_norm(l, "vision_model.post_layernorm.", a->v_width);
    add(l, "visual_projection.weight", 2, a->proj, a->v_width, 0, 0, 0.03f, 0);
}

/* SigLIP's ViT: patch conv with bias, no CLS, the attention-pooling head. */
static void add_siglip_vision(const bench_arch *a, spec_list *l)
{
    long g = a->image_size / a->patch, w = a->v_width;
    add(l, "vision_model.embeddings.patch_embedding.weight", 4, w, 3, a->patch,
        a->patch, 0.02f, 0);
    add(l, "vision_model.embeddings.patch_embedding.bias", 1, w, 0, 0, 0, 0.02f,
        0);
    add(l, "vision_model.embeddings.position_embedding.weight", 2, g * g, w, 0,
        0, 0.02f, 0);
    add_encoder(l, "vision_model.encoder.", a->v_layers, w, a->v_inter);
    add_norm(l, "vision_model.post_layernorm.", w);
    add(l, "vision_model.head.probe", 3, 1, 1, w, 0, 0.1f, 0);
    add(l, "vision_model.head.attention.in_proj_weight", 2, 3 * w, w, 0, 0,
        1.7f / 40.0f, 0);
    add(l, "vision_model.head.attention.in_proj_bias", 1, 3 * w, 0, 0, 0, 0.02f,
        0);
    add_linear(l, "vision_model.head.attention.out_proj.", w, w);
    add_norm(l, "vision_model.head.layernorm.", w);
    add_linear(l, "vision_model.head.mlp.fc1.", a->v_inter, w);
    add_linear(l, "vision_model.head.mlp.fc2.", w, a->v_inter);
}

/* Text tower first, then vision: the order real files use (alphabetical
 * "text_model" < "vision_model"), which matters for page locality. */
static void build_specs(const bench_arch *a, spec_list *l)
{
    if (a->family == BENCH_CHINESE_CLIP)
        add_bert_text(a, l);
    else
        add_clip_text(a, l);
    if (a->family == BENCH_SIGLIP) {
        add(l, "logit_bias", 1, 1, 0, 0, 0, 0, -12.93f);
        add(l, "logit_scale", 1, 1, 0, 0, 0, 0, 4.765f);
        add_siglip_vision(a, l);
        return;
    }
    add(l, "logit_scale", 0, 0, 0, 0, 0, 0, 2.6592f);
    add_clip_vision(a, l);
}

static long numel(const tensor_spec *t)
{
    long n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

static char *header_json(const spec_list *l, size_t *len)
{
    size_t cap = 256 + (size_t)l->n * 256, n = 0;
    char *h = malloc(cap);
    long off = 0;
    n += (size_t)snprintf(h + n, cap - n,
                          "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < l->n; i++) {
        const tensor_spec *t = &l->t[i];
        n += (size_t)snprintf(
            h + n, cap - n, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", t->name);
        for (int d = 0; d < t->ndim; d++)
            n += (size_t)snprintf(h + n, cap - n, "%s%ld", d ? "," : "",
                                  t->shape[d]);
        long bytes = numel(t) * 4;
        n += (size_t)snprintf(h + n, cap - n, "],\"data_offsets\":[%ld,%ld]}",
                              off, off + bytes);
        off += bytes;
    }
    n += (size_t)snprintf(h + n, cap - n, "}");
    while (n % 8) h[n++] = ' '; /* keep the data area 8-byte aligned */
    *len = n;
    return h;
}

static int write_safetensors(const spec_list *l, const char *path,
                             unsigned seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t hl;
    char *h = header_json(l, &hl);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(h, 1, hl, f);
    free(h);
    float buf[4096];
    for (int i = 0; i < l->n; i++) {
        const tensor_spec *t = &l->t[i];
        for (long left = numel(t); left > 0;) {
            int k = left < 4096 ? (int)left : 4096;
            for (int j = 0; j < k; j++) {
                seed = seed * 1664525u + 1013904223u;
                buf[j] = t->offset +
                         t->scale * ((float)(seed >> 8) / 8388608.0f - 1.0f);
            }
            fwrite(buf, 4, (size_t)k, f);
            left -= k;
        }
    }
    return fclose(f);
}

static void clip_config(const bench_arch *a, FILE *f)
{
    fprintf(
        f,
        "{\"architectures\":[\"CLIPModel\"],\"model_type\":\"clip\","
        "\"projection_dim\":%d,\"logit_scale_init_value\":2.6592,"
        "\"text_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
        "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,"
        "\"max_position_embeddings\":%d,\"vocab_size\":%d,"
        "\"hidden_act\":\"quick_gelu\",\"eos_token_id\":2,\"projection_dim\":%d},"
        "\"vision_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
        "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,\"image_size\":%d,"
        "\"patch_size\":%d,\"hidden_act\":\"quick_gelu\",\"projection_dim\":%d}"
        "}\n",
        a->proj, a->t_width, a->t_inter, a->t_heads, a->t_layers, a->ctx,
        a->vocab, a->proj, a->v_width, a->v_inter, a->v_heads, a->v_layers,
        a->image_size, a->patch, a->proj);
}

/* The hub file spells out only what differs from SiglipConfig's defaults;
 * written in full here. */
static void siglip_config(const bench_arch *a, FILE *f)
{
    fprintf(f,
            "{\"architectures\":[\"SiglipModel\"],\"model_type\":\"siglip\","
            "\"text_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
            "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,"
            "\"max_position_embeddings\":%d,\"vocab_size\":%d,"
            "\"hidden_act\":\"gelu_pytorch_tanh\",\"layer_norm_eps\":1e-06},"
            "\"vision_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
            "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,"
            "\"image_size\":%d,\"patch_size\":%d,"
            "\"hidden_act\":\"gelu_pytorch_tanh\",\"layer_norm_eps\":1e-06}}\n",
            a->t_width, a->t_inter, a->t_heads, a->t_layers, a->ctx, a->vocab,
            a->v_width, a->v_inter, a->v_heads, a->v_layers, a->image_size,
            a->patch);
}

static void chinese_config(const bench_arch *a, FILE *f)
{
    fprintf(
        f,
        "{\"architectures\":[\"ChineseCLIPModel\"],\"model_type\":"
        "\"chinese_clip\",\"projection_dim\":%d,"
        "\"text_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
        "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,"
        "\"max_position_embeddings\":%d,\"vocab_size\":%d,"
        "\"type_vocab_size\":2,\"hidden_act\":\"gelu\",\"layer_norm_eps\":1e-12},"
        "\"vision_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
        "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,\"image_size\":%d,"
        "\"patch_size\":%d,\"hidden_act\":\"quick_gelu\",\"projection_dim\":%d}"
        "}\n",
        a->proj, a->t_width, a->t_inter, a->t_heads, a->t_layers, a->ctx,
        a->vocab, a->v_width, a->v_inter, a->v_heads, a->v_layers,
        a->image_size, a->patch, a->proj);
}

static void preprocessor(const bench_arch *a, FILE *f)
{
    int s = a->image_size;
    if (a->family == BENCH_CLIP)
        fprintf(f,
                "{\"crop_size\":{\"height\":%d,\"width\":%d},"
                "\"size\":{\"shortest_edge\":%d},\"do_center_crop\":true,"
                "\"image_processor_type\":\"CLIPImageProcessor\"}\n",
                s, s, s);
    else if (a->family == BENCH_SIGLIP)
        fprintf(f,
                "{\"size\":{\"height\":%d,\"width\":%d},"
                "\"image_mean\":[0.5,0.5,0.5],\"image_std\":[0.5,0.5,0.5],"
                "\"image_processor_type\":\"SiglipImageProcessor\"}\n",
                s, s);
    else
        fprintf(f,
                "{\"crop_size\":{\"height\":%d,\"width\":%d},"
                "\"size\":{\"height\":%d,\"width\":%d},"
                "\"image_processor_type\":\"ChineseCLIPImageProcessor\"}\n",
                s, s, s, s);
}

static int write_configs(const bench_arch *a, const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/config.json", dir);
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    if (a->family == BENCH_SIGLIP)
        siglip_config(a, f);
    else if (a->family == BENCH_CHINESE_CLIP)
        chinese_config(a, f);
    else
        clip_config(a, f);
    if (fclose(f)) return -1;
    snprintf(p, sizeof p, "%s/preprocessor_config.json", dir);
    f = fopen(p, "w");
    if (!f) return -1;
    preprocessor(a, f);
    return fclose(f);
}

int bench_ckpt_write(const bench_arch *a, const char *dir, unsigned seed)
{
    mkdir(dir, 0755);
    spec_list l = {0};
    build_specs(a, &l);
    char p[4096];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    int rc = write_configs(a, dir) || write_safetensors(&l, p, seed);
    free(l.t);
    return rc ? -1 : 0;
}
