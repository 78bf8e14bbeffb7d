/*
 * safetensors.c — parsing and validating one safetensors image, and
 * mapping a file read-only.
 *
 * Everything about the header is checked before a handle is returned, so the
 * rest of the program can trust st_tensor.data/nbytes without re-checking.
 * Every message starts with the file label and, where one is involved, the
 * tensor name.
 */
#include "model/weights/st_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Real headers are a few hundred KB at most; this stops absurd allocations. */
#define ST_MAX_HEADER ((uint64_t)100 * 1024 * 1024)
#define ST_JSON_DEPTH 16

struct st_file {
    char *label;
    int count;
    st_tensor *tensors;        /* header order */
    const st_tensor **by_name; /* sorted by name, for st_file_find */
    int n_meta;
    char **meta_keys, **meta_values;
    void *map; /* non-NULL when opened from a path */
    size_t map_len;
};

/* What parsing needs to know while walking the header. */
typedef struct parse_ctx {
    st_file *f;
    const uint8_t *data;
    uint64_t data_len;
    char *err;
} parse_ctx;

/* ---- small JSON helpers ----------------------------------------------- */

/* A non-negative JSON integer; -1 when the value is anything else. */
static int64_t json_nonneg_int(struct json_object *v)
{
    if (!json_object_is_type(v, json_type_int)) return -1;
    int64_t x = json_object_get_int64(v);
    /* json-c saturates values beyond int64 to INT64_MAX */
    if (x < 0 || x == INT64_MAX) return -1;
    return x;
}

static int parse_shape(parse_ctx *c, const char *name, struct json_object *js,
                       st_tensor *t)
{
    if (!json_object_is_type(js, json_type_array)) {
        vlm_set_err(c->err,
                    "%s: tensor '%s': \"shape\" is missing or not an array",
                    c->f->label, name);
        return VLM_EFORMAT;
    }
    size_t nd = json_object_array_length(js);
    if (nd > ST_MAX_DIMS) {
        vlm_set_err(c->err,
                    "%s: tensor '%s': %zu dimensions (at most %d supported)",
                    c->f->label, name, nd, ST_MAX_DIMS);
        return VLM_EUNSUPPORTED;
    }
    t->ndim = (int)nd;
    t->numel = 1;
    for (size_t i = 0; i < nd; i++) {
        int64_t d = json_nonneg_int(json_object_array_get_idx(js, i));
        if (d < 0) {
            vlm_set_err(c->err,
                        "%s: tensor '%s': shape entry %zu is not a "
                        "non-negative integer",
                        c->f->label, name, i);
            return VLM_EFORMAT;
        }
        t->shape[i] = d;
        if (__builtin_mul_overflow(t->numel, d, &t->numel)) {
            vlm_set_err(c->err, "%s: tensor '%s': shape overflows 64 bits",
                        c->f->label, name);
            return VLM_EFORMAT;
        }
    }
    return VLM_OK;
}

static int parse_span(parse_ctx *c, const char *name, struct json_object *jo,
                      st_tensor *t)
{
    int64_t b = -1, e = -1;
    if (json_object_is_type(jo, json_type_array) &&
        json_object_array_length(jo) == 2) {
        b = json_nonneg_int(json_object_array_get_idx(jo, 0));
        e = json_nonneg_int(json_object_array_get_idx(jo, 1));
    }
    if (b < 0 || e < 0 || e < b) {
        vlm_set_err(c->err,
                    "%s: tensor '%s': \"data_offsets\" must be [begin, end] "
                    "with 0 <= begin <= end",
                    c->f->label, name);
        return VLM_EFORMAT;
    }
    if ((uint64_t)e > c->data_len) {
        vlm_set_err(c->err,
                    "%s: tensor '%s': data span [%lld, %lld) lies beyond the "
                    "%llu-byte data area",
                    c->f->label, name, (long long)b, (long long)e,
                    (unsigned long long)c->data_len);
        return VLM_EFORMAT;
    }
    int64_t want;
    if (__builtin_mul_overflow(t->numel, (int64_t)st_dtype_size(t->dtype),
                               &want) ||
        want != e - b) {
        vlm_set_err(
            c->err,
            "%s: tensor '%s': shape x %s size is not the span of %lld bytes",
            c->f->label, name, st_dtype_name(t->dtype), (long long)(e - b));
        return VLM_EFORMAT;
    }
    t->data = c->data + b;
    t->nbytes = (size_t)(e - b);
    return VLM_OK;
}

static int parse_tensor(parse_ctx *c, const char *name, struct json_object *v,
                        st_tensor *t)
{
    if (!json_object_is_type(v, json_type_object)) {
        vlm_set_err(c->err, "%s: tensor '%s': entry is not a JSON object",
                    c->f->label, name);
        return VLM_EFORMAT;
    }
    struct json_object *jd = NULL, *js = NULL, *jo = NULL;
    json_object_object_get_ex(v, "dtype", &jd);
    json_object_object_get_ex(v, "shape", &js);
    json_object_object_get_ex(v, "data_offsets", &jo);
    if (!json_object_is_type(jd, json_type_string)) {
        vlm_set_err(c->err,
                    "%s: tensor '%s': \"dtype\" is missing or not a string",
                    c->f->label, name);
        return VLM_EFORMAT;
    }
    if (st_dtype_parse(json_object_get_string(jd), &t->dtype) != 0) {
        vlm_set_err(c->err, "%s: tensor '%s': unknown dtype \"%.32s\"",
                    c->f->label, name, json_object_get_string(jd));
        return VLM_EUNSUPPORTED;
    }
    t->name = t->path = NULL;
    int rc = parse_shape(c, name, js, t);
    if (rc == VLM_OK) rc = parse_span(c, name, jo, t);
    if (rc == VLM_OK && !(t->name = strdup(name))) {
        vlm_set_err(c->err, "%s: out of memory", c->f->label);
        rc = VLM_ENOMEM;
    }
    t->path = c->f->label;
    return rc;
}

static int parse_metadata(parse_ctx *c, struct json_object *m)
{
    st_file *f = c->f;
    if (!json_object_is_type(m, json_type_object)) {
        vlm_set_err(c->err, "%s: \"__metadata__\" is not a JSON object",
                    f->label);
        return VLM_EFORMAT;
    }
    size_t n = (size_t)json_object_object_length(m);
    f->meta_keys = calloc(n + 1, sizeof *f->meta_keys);
    f->meta_values = calloc(n + 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) {
        vlm_set_err(c->err, "%s: out of memory", f->label);
        return VLM_ENOMEM;
    }
    json_object_object_foreach(m, key, val)
    {
        if (!json_object_is_type(val, json_type_string)) {
            vlm_set_err(c->err,
                        "%s: \"__metadata__\" value '%s' is not a string",
                        f->label, key);
            return VLM_EFORMAT;
        }
        f->meta_keys[f->n_meta] = strdup(key);
        f->meta_values[f->n_meta] = strdup(json_object_get_string(val));
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_values[f->n_meta - 1]) {
            vlm_set_err(c->err, "%s: out of memory", f->label);
            return VLM_ENOMEM;
        }
    }
    return VLM_OK;
}

static int cmp_by_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a;
    const st_tensor *y = *(const st_tensor *const *)b;
    const char *px = x->data, *py = y->data;
    if (px != py) return px < py ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* Spans must not share bytes; zero-byte tensors overlap nothing. */
static int check_overlaps(parse_ctx *c)
{
    st_file *f = c->f;
    const st_tensor **v = malloc((size_t)f->count * sizeof *v + 1);
    if (!v) {
        vlm_set_err(c->err, "%s: out of memory", f->label);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < f->count; i++) v[i] = &f->tensors[i];
    qsort(v, (size_t)f->count, sizeof *v, cmp_by_begin);
    const st_tensor *prev = NULL;
    int rc = VLM_OK;
    for (int i = 0; i < f->count && rc == VLM_OK; i++) {
        if (v[i]->nbytes == 0) continue;
        if (prev && (const char *)v[i]->data <
                        (const char *)prev->data + prev->nbytes) {
            vlm_set_err(c->err,
                        "%s: tensor '%s' overlaps tensor '%s' in the data area",
                        f->label, v[i]->name, prev->name);
            rc = VLM_EFORMAT;
        }
        prev = v[i];
    }
    free(v);
    return rc;
}

static int build_name_index(parse_ctx *c)
{
    st_file *f = c->f;
    f->by_name = malloc((size_t)f->count * sizeof *f->by_name + 1);
    if (!f->by_name) {
        vlm_set_err(c->err, "%s: out of memory", f->label);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < f->count; i++) f->by_name[i] = &f->tensors[i];
    qsort(f->by_name, (size_t)f->count, sizeof *f->by_name, st_tensor_ptr_cmp);
    return VLM_OK;
}

static int parse_entries(parse_ctx *c, struct json_object *root)
{
    st_file *f = c->f;
    size_t n = (size_t)json_object_object_length(root);
    f->tensors = calloc(n + 1, sizeof *f->tensors);
    if (!f->tensors) {
        vlm_set_err(c->err, "%s: out of memory", f->label);
        return VLM_ENOMEM;
    }
    json_object_object_foreach(root, key, val)
    {
        int rc;
        if (strcmp(key, "__metadata__") == 0)
            rc = parse_metadata(c, val);
        else if ((rc = parse_tensor(c, key, val, &f->tensors[f->count])) ==
                 VLM_OK)
            f->count++;
        if (rc) return rc;
    }
    int rc = check_overlaps(c);
    return rc ? rc : build_name_index(c);
}

/* The JSON must be one object followed only by padding whitespace. */
static struct json_object *parse_header_json(const char *label, const char *js,
                                             size_t n, char *err)
{
    struct json_tokener *tok = json_tokener_new_ex(ST_JSON_DEPTH);
    if (!tok) {
        vlm_set_err(err, "%s: out of memory", label);
        return NULL;
    }
    /* Strict RFC 8259 and valid UTF-8; trailing bytes are checked below
     * because writers pad the header with spaces. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                    JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                    JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, js, (int)n);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        vlm_set_err(err, "%s: header is not valid JSON (%s)", label,
                    jerr == json_tokener_continue
                        ? "unexpected end"
                        : json_tokener_error_desc(jerr));
        json_object_put(root);
        return NULL;
    }
    for (size_t i = used; i < n; i++) {
        if (js[i] != ' ' && js[i] != '\t' && js[i] != '\n' && js[i] != '\r') {
            vlm_set_err(err,
                        "%s: header has trailing bytes after the JSON object",
                        label);
            json_object_put(root);
            return NULL;
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        vlm_set_err(err, "%s: header JSON is not an object", label);
        json_object_put(root);
        return NULL;
    }
    return root;
}

void st_file_close(st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->count; i++) free((char *)f->tensors[i].name);
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    free(f->tensors);
    free(f->by_name);
    if (f->map) munmap(f->map, f->map_len);
    free(f->label);
    free(f);
}

/* Checks the 8-byte length prefix; returns the header length or an error. */
static int read_header_len(const uint8_t *p, size_t len, const char *label,
                           uint64_t *n, char *err)
{
    if (len < 8) {
        vlm_set_err(
            err, "%s: %zu bytes is too short for a safetensors header length",
            label, len);
        return VLM_EFORMAT;
    }
    *n = 0;
    for (int i = 7; i >= 0; i--) *n = (*n << 8) | p[i];
    if (*n > ST_MAX_HEADER) {
        vlm_set_err(err, "%s: header length %llu exceeds the %llu-byte limit",
                    label, (unsigned long long)*n,
                    (unsigned long long)ST_MAX_HEADER);
        return VLM_ETOOBIG;
    }
    if (*n > len - 8) {
        vlm_set_err(
            err,
            "%s: header length %llu runs past the end of the %zu-byte file",
            label, (unsigned long long)*n, len);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

int st_file_from_buffer(const void *buf, size_t len, const char *label,
                        st_file **out, char *err)
{
    *out = NULL;
    if (!label) label = "<buffer>";
    if (!buf && len) {
        vlm_set_err(err, "%s: NULL buffer", label);
        return VLM_EINVAL;
    }
    uint64_t hlen;
    int rc = read_header_len(buf, len, label, &hlen, err);
    if (rc) return rc;
    const uint8_t *p = buf;
    struct json_object *root =
        parse_header_json(label, (const char *)p + 8, hlen, err);
    if (!root) return VLM_EFORMAT;
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->label = strdup(label))) {
        free(f);
        json_object_put(root);
        vlm_set_err(err, "%s: out of memory", label);
        return VLM_ENOMEM;
    }
    parse_ctx c = {
        .f = f, .data = p + 8 + hlen, .data_len = len - 8 - hlen, .err = err};
    rc = parse_entries(&c, root);
    json_object_put(root);
    if (rc) {
        st_file_close(f);
        return rc;
    }
    *out = f;
    return VLM_OK;
}

/* Maps the whole file read-only; pages are only faulted in when read. */
static int map_file(const char *path, void **map, size_t *len, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vlm_set_err(err, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    struct stat st;
    int rc = VLM_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        vlm_set_err(err, "%s: not a regular file", path);
        rc = VLM_EIO;
    } else if (st.st_size < 8) {
        vlm_set_err(
            err, "%s: %lld bytes is too short for a safetensors header length",
            path, (long long)st.st_size);
        rc = VLM_EFORMAT;
    } else {
        *len = (size_t)st.st_size;
        *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (*map == MAP_FAILED) {
            vlm_set_err(err, "%s: mmap failed: %s", path, strerror(errno));
            *map = NULL;
            rc = VLM_EIO;
        }
    }
    close(fd);
    return rc;
}

int st_file_open(const char *path, st_file **out, char *err)
{
    *out = NULL;
    void *map = NULL;
    size_t len = 0;
    int rc = map_file(path, &map, &len, err);
    if (rc) return rc;
    rc = st_file_from_buffer(map, len, path, out, err);
    if (rc) {
        munmap(map, len);
        return rc;
    }
    (*out)->map = map;
    (*out)->map_len = len;
    return VLM_OK;
}

int st_file_count(const st_file *f) { return f ? f->count : 0; }

const st_tensor *st_file_tensor(const st_file *f, int i)
{
    return f && i >= 0 && i < f->count ? &f->tensors[i] : NULL;
}

const st_tensor *st_file_find(const st_file *f, const char *name)
{
    return f ? st_sorted_find(f->by_name, f->count, name) : NULL;
}

const char *st_file_metadata(const st_file *f, const char *key)
{
    for (int i = 0; f && key && i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}
