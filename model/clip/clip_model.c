/*
 * clip_model.c — a CLIPModel checkpoint folder: config, the parts asked for,
 * projections, identity digest.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/clip/clip_model_internal.h"
#include "model/clip/clip_tensors.h"

clip_options clip_options_default(void)
{
    clip_options o = {.parts = CLIP_PART_ALL,
                      .precision = VLM_PREC_F32,
                      .threads = 0,
                      .tokenizer_dir = NULL};
    return o;
}

/* ---- identity: FNV-1a 64 over config + safetensors headers + sizes ---- */
static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static int hash_file_header(uint64_t *h, const char *path, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t len8[8];
    if (fd < 0 || fstat(fd, &st) || pread(fd, len8, 8, 0) != 8) {
        if (fd >= 0) close(fd);
        vlm_set_err(err, "%s: cannot read safetensors header", path);
        return VLM_EIO;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | len8[i];
    if (n > (uint64_t)st.st_size - 8)
        n = (uint64_t)st.st_size - 8; /* validated by weights */
    char *buf = malloc(n ? n : 1);
    int ok = buf && pread(fd, buf, n, 8) == (ssize_t)n;
    close(fd);
    if (ok) {
        uint64_t size = (uint64_t)st.st_size;
        fnv(h, &size, sizeof size);
        fnv(h, buf, n);
    }
    free(buf);
    if (!ok) vlm_set_err(err, "%s: cannot read safetensors header", path);
    return ok ? VLM_OK : VLM_EIO;
}

static int path_seen(const st_checkpoint *ck, int upto, const char *path)
{
    for (int i = 0; i < upto; i++)
        if (!strcmp(st_checkpoint_tensor(ck, i)->path, path)) return 1;
    return 0;
}

static int compute_id(clip_model *m, const char *dir, char *err)
{
    uint64_t h = 0xcbf29ce484222325ull;
    char path[4096], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = clip_read_file(path, &text, &len, err);
    if (rc) return rc;
    fnv(&h, text, len);
    free(text);
    /* Every shard once, in the checkpoint's own (stable) tensor order. */
    int n = st_checkpoint_count(m->ck);
    for (int i = 0; i < n && !rc; i++) {
        const char *p = st_checkpoint_tensor(m->ck, i)->path;
        if (!path_seen(m->ck, i, p)) rc = hash_file_header(&h, p, err);
    }
    snprintf(m->id, sizeof m->id, "%016llx", (unsigned long long)h);
    return rc;
}

/* ---- loading ---------------------------------------------------------- */
static int load_logit_scale(clip_model *m, char *err)
{
    const st_tensor *t;
    int64_t none = 0;
    int rc = st_checkpoint_require(m->ck, "logit_scale", 0, &none, &t, err);
    if (!rc) rc = st_tensor_to_f32(t, &m->logit_scale, 1, err);
    return rc;
}

static int load_parts(clip_model *m, const clip_options *o, char *err)
{
    const clip_config *c = &m->cfg;
    int E = c->projection_dim, rc = VLM_OK;
    if (o->parts & CLIP_PART_TEXT) {
        rc = clip_text_create(m->ck, "text_model.", &c->text, o->precision,
                              &m->text, err);
        if (!rc)
            rc = clip_load_linear(m->ck, "text_projection.", E,
                                  c->text.hidden_size, o->precision,
                                  &m->text_proj, NULL, err);
    }
    if (!rc && (o->parts & CLIP_PART_VISION)) {
        clip_vision_opts vo = {
            .layers = 0, .post_layernorm = 1, .precision = o->precision};
        rc = clip_vision_create(m->ck, "vision_model.", &c->vision, &vo,
                                &m->vision, err);
        if (!rc)
            rc = clip_load_linear(m->ck, "visual_projection.", E,
                                  c->vision.hidden_size, o->precision,
                                  &m->vis_proj, NULL, err);
    }
    if (!rc) rc = load_logit_scale(m, err);
    return rc;
}

static char *base_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && dir[s - 1] != '/') s--;
    return strndup(dir + s, n - s);
}

int clip_model_load(const char *dir, const clip_options *opts, clip_model **out,
                    char *err)
{
    *out = NULL;
    clip_options o = opts ? *opts : clip_options_default();
    if (!(o.parts & CLIP_PART_ALL)) {
        vlm_set_err(err, "clip_model_load: no parts requested");
        return VLM_EINVAL;
    }
    clip_model *m = calloc(1, sizeof *m);
    if (!m) return VLM_ENOMEM;
    m->parts = o.parts & CLIP_PART_ALL;
    m->threads = vlm_threads_resolve(o.threads);
    m->name = base_name(dir);
    m->tokenizer_dir = strdup(o.tokenizer_dir ? o.tokenizer_dir : dir);
    int rc = (m->name && m->tokenizer_dir) ? VLM_OK : VLM_ENOMEM;
    if (!rc) rc = clip_config_load(dir, &m->cfg, err);
    if (!rc) rc = st_checkpoint_open(dir, &m->ck, err);
    if (!rc) rc = load_parts(m, &o, err);
    if (!rc) rc = compute_id(m, dir, err);
    if (rc) {
        clip_model_destroy(m);
        return rc;
    }
    *out = m;
    return VLM_OK;
}

void clip_model_destroy(clip_model *m)
{
    if (!m) return;
    if (m->tok) m->tok_destroy(m->tok);
    clip_text_destroy(m->text);
    clip_vision_destroy(m->vision);
    vlm_weight_destroy(m->text_proj);
    vlm_weight_destroy(m->vis_proj);
    st_checkpoint_close(m->ck); /* after the weights that point into it */
    free(m->name);
    free(m->tokenizer_dir);
    free(m);
}

int clip_model_parts(const clip_model *m) { return m->parts; }
int clip_embed_dim(const clip_model *m) { return m->cfg.projection_dim; }
int clip_image_size(const clip_model *m) { return m->cfg.vision.image_size; }
float clip_logit_scale(const clip_model *m) { return expf(m->logit_scale); }
const img_prep_params *clip_prep_params(const clip_model *m)
{
    return &m->cfg.prep;
}
const char *clip_model_id(const clip_model *m) { return m->id; }
const char *clip_model_name(const clip_model *m) { return m->name; }
int clip_model_text_width(const clip_model *m)
{
    return m->cfg.text.hidden_size;
}
int clip_model_vision_tokens(const clip_model *m)
{
    const clip_tower_config *v = &m->cfg.vision;
    int g = v->image_size / v->patch_size;
    return 1 + g * g;
}
int clip_model_vision_width(const clip_model *m)
{
    return m->cfg.vision.hidden_size;
}

/* ---- encoding --------------------------------------------------------- */
int clip_encode_images(clip_model *m, const float *pixels, int n, float *embeds,
                       float *pooled, float *hidden_last,
                       float *hidden_penultimate, char *err)
{
    if (!m->vision) {
        vlm_set_err(err, "%s: the vision tower was not loaded", m->name);
        return VLM_EINVAL;
    }
    if (n <= 0) return n == 0 ? VLM_OK : VLM_EINVAL;
    int W = m->cfg.vision.hidden_size;
    float *pool = pooled ? pooled : malloc((size_t)n * W * sizeof(float));
    if (!pool) return VLM_ENOMEM;
    int prev = vlm_threads_enter(m->threads);
    int rc = clip_vision_forward(m->vision, pixels, n, hidden_last,
                                 hidden_penultimate, pool, err);
    if (!rc && embeds) vlm_linear(m->vis_proj, NULL, pool, n, embeds);
    vlm_threads_leave(prev);
    if (pool != pooled) free(pool);
    return rc;
}

int clip_encode_text_ids(clip_model *m, const int32_t *ids, int n,
                         float *embeds, float *pooled, char *err)
{
    if (!m->text) {
        vlm_set_err(err, "%s: the text tower was not loaded", m->name);
        return VLM_EINVAL;
    }
    if (n <= 0) return n == 0 ? VLM_OK : VLM_EINVAL;
    int W = m->cfg.text.hidden_size;
    float *pool = pooled ? pooled : malloc((size_t)n * W * sizeof(float));
    if (!pool) return VLM_ENOMEM;
    int prev = vlm_threads_enter(m->threads);
    int rc = clip_text_forward(m->text, ids, n, CLIP_TEXT_CONTEXT, pool, err);
    if (!rc && embeds) vlm_linear(m->text_proj, NULL, pool, n, embeds);
    vlm_threads_leave(prev);
    if (pool != pooled) free(pool);
    return rc;
}

void clip_l2_normalize(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++) s += (double)v[i] * v[i];
    if (s <= 0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < dim; i++) v[i] *= inv;
}
