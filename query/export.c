#include "query/export.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/media_path.h"
#include "query/result_format.h"

typedef struct exporter {
    collection *c;
    const export_options *o;
    collection_model model;
    int64_t *ids; /* rows to write, ascending */
    size_t n, written;
    FILE *vec_out;
    char *err;
} exporter;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int load_ids(exporter *x)
{
    collection_filter f = x->o->filter ? *x->o->filter : (collection_filter){0};
    char *abs = x->o->in_dir ? media_abspath(x->o->in_dir) : NULL;
    f.prefix = abs;
    int rc = x->o->in_dir && !abs
                 ? VLM_ENOMEM
                 : collection_ids_filtered(x->c, &f, &x->ids, &x->n, x->err);
    free(abs);
    return rc ? rc : collection_get_model(x->c, &x->model, x->err);
}

/* One metadata line for id (the row's place in the export). */
static int write_meta(exporter *x, FILE *out, size_t row, int64_t id)
{
    collection_image im;
    collection_brief b;
    int rc = collection_get_image(x->c, id, &im, x->err);
    if (rc) return rc;
    int64_t bytes = im.size;
    char format[16];
    snprintf(format, sizeof format, "%s", im.format);
    rc = collection_image_brief(x->c, id, &b, x->err);
    if (rc) return rc;
    fprintf(out, "{\"row\":%zu,\"id\":%lld,", row, (long long)id);
    json_write_path(out, "path", b.path);
    fprintf(out, ",\"width\":%d,\"height\":%d,\"format\":", b.width, b.height);
    json_write_string(out, format);
    fprintf(out, ",\"bytes\":%lld", (long long)bytes);
    json_write_taken(out, b.taken, b.taken_exif, b.camera);
    fputs("}\n", out);
    return VLM_OK;
}

static int write_all_meta(exporter *x, FILE *out)
{
    int rc = VLM_OK;
    for (size_t i = 0; !rc && i < x->n; i++)
        rc = write_meta(x, out, i, x->ids[i]);
    return rc;
}

static int take_vectors(void *ud, const int64_t *ids, const float *vecs,
                        size_t n)
{
    exporter *x = ud;
    for (size_t i = 0; i < n; i++) {
        if (!bsearch(&ids[i], x->ids, x->n, sizeof *x->ids, cmp_id)) continue;
        size_t d = (size_t)x->model.dims;
        if (fwrite(vecs + i * d, sizeof *vecs, d, x->vec_out) != d)
            return VLM_EIO;
        x->written++;
    }
    return VLM_OK;
}

static int write_vectors(exporter *x)
{
    x->written = 0;
    int rc = collection_for_each_embedding(x->c, 1024, take_vectors, x, x->err);
    if (rc == VLM_EIO) vlm_set_err(x->err, "cannot write: %s", strerror(errno));
    if (!rc && x->written != x->n) {
        vlm_set_err(x->err, "the collection changed during the export; run "
                            "it again");
        rc = VLM_EIO;
    }
    return rc;
}

/* ---- files: temporary names, renamed when complete ----------------------- */

static FILE *open_tmp(const char *path, char *tmp, size_t n, bool overwrite,
                      char *err)
{
    struct stat st;
    if (!overwrite && stat(path, &st) == 0) {
        vlm_set_err(err, "%s exists (--force replaces it)", path);
        return NULL;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) vlm_set_err(err, "%s: %s", tmp, strerror(errno));
    return f;
}

static int close_rename(FILE *f, const char *tmp, const char *path, int rc,
                        char *err)
{
    if (fclose(f) != 0 && !rc) {
        vlm_set_err(err, "%s: %s", tmp, strerror(errno));
        rc = VLM_EIO;
    }
    if (!rc && rename(tmp, path) != 0) {
        vlm_set_err(err, "cannot rename %s: %s", tmp, strerror(errno));
        rc = VLM_EIO;
    }
    if (rc) remove(tmp);
    return rc;
}

/* ---- .npy + .jsonl -------------------------------------------------------- */

static void npy_header(FILE *f, size_t n, int dims)
{
    char dict[128];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(%zu, %d), }",
                       n, dims);
    /* magic (6) + version (2) + length (2) + dict + pad + '\n': x64 */
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    int hlen = len + pad + 1;
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fprintf(f, "%s%*s\n", dict, pad, "");
}

static int export_npy(exporter *x)
{
    const char *out = x->o->out;
    char vec_path[4200], meta_path[4200], tmp[4300];
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        vlm_set_err(x->err, "%s: %s", out, strerror(errno));
        return VLM_EIO;
    }
    snprintf(vec_path, sizeof vec_path, "%s/embeddings.npy", out);
    snprintf(meta_path, sizeof meta_path, "%s/metadata.jsonl", out);
    FILE *f = open_tmp(vec_path, tmp, sizeof tmp, x->o->overwrite, x->err);
    if (!f) return VLM_EIO;
    npy_header(f, x->n, x->model.dims);
    x->vec_out = f;
    int rc = close_rename(f, tmp, vec_path, write_vectors(x), x->err);
    f = rc ? NULL
           : open_tmp(meta_path, tmp, sizeof tmp, x->o->overwrite, x->err);
    if (!rc && !f) rc = VLM_EIO;
    if (f) rc = close_rename(f, tmp, meta_path, write_all_meta(x, f), x->err);
    return rc;
}

/* ---- one safetensors file ------------------------------------------------- */

static json_object *tensor_entry(const char *dtype, size_t rows, int cols,
                                 size_t from, size_t to)
{
    json_object *t = json_object_new_object(), *shape = json_object_new_array(),
                *off = json_object_new_array();
    json_object_object_add(t, "dtype", json_object_new_string(dtype));
    json_object_array_add(shape, json_object_new_int64((int64_t)rows));
    if (cols) json_object_array_add(shape, json_object_new_int(cols));
    json_object_object_add(t, "shape", shape);
    json_object_array_add(off, json_object_new_int64((int64_t)from));
    json_object_array_add(off, json_object_new_int64((int64_t)to));
    json_object_object_add(t, "data_offsets", off);
    return t;
}

static json_object *st_header(const exporter *x, const char *meta_jsonl)
{
    size_t vec_bytes = x->n * (size_t)x->model.dims * sizeof(float);
    char dims[16];
    snprintf(dims, sizeof dims, "%d", x->model.dims);
    json_object *h = json_object_new_object(), *m = json_object_new_object();
    json_object_object_add(m, "format", json_object_new_string("vlmindex"));
    json_object_object_add(m, "model", json_object_new_string(x->model.name));
    json_object_object_add(m, "model_id",
                           json_object_new_string(x->model.model_id));
    json_object_object_add(m, "dims", json_object_new_string(dims));
    json_object_object_add(m, "metadata_jsonl",
                           json_object_new_string(meta_jsonl));
    json_object_object_add(h, "__metadata__", m);
    json_object_object_add(
        h, "embeddings",
        tensor_entry("F32", x->n, x->model.dims, 0, vec_bytes));
    json_object_object_add(h, "ids",
                           tensor_entry("I64", x->n, 0, vec_bytes,
                                        vec_bytes + x->n * sizeof(int64_t)));
    return h;
}

/* 8-byte length, the JSON header padded with spaces to a multiple of 8. */
static void st_write_header(FILE *f, json_object *h)
{
    const char *text =
        json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    unsigned char size[8];
    for (int i = 0; i < 8; i++) size[i] = (unsigned char)(padded >> (8 * i));
    fwrite(size, 1, 8, f);
    fwrite(text, 1, len, f);
    fprintf(f, "%*s", (int)(padded - len), "");
}

static int export_safetensors(exporter *x)
{
    char tmp[4300], *meta = NULL;
    size_t meta_len = 0;
    FILE *m = open_memstream(&meta, &meta_len);
    int rc = m ? write_all_meta(x, m) : VLM_ENOMEM;
    if (m) fclose(m);
    FILE *f =
        rc ? NULL
           : open_tmp(x->o->out, tmp, sizeof tmp, x->o->overwrite, x->err);
    if (!rc && !f) rc = VLM_EIO;
    if (f) {
        json_object *h = st_header(x, meta);
        st_write_header(f, h);
        json_object_put(h);
        x->vec_out = f;
        rc = write_vectors(x);
        if (!rc && fwrite(x->ids, sizeof *x->ids, x->n, f) != x->n)
            rc = VLM_EIO;
        rc = close_rename(f, tmp, x->o->out, rc, x->err);
    }
    free(meta);
    return rc;
}

int export_collection(collection *c, const export_options *o, int64_t *n_rows,
                      char *err)
{
    exporter x = {.c = c, .o = o, .err = err};
    *n_rows = 0;
    int rc = load_ids(&x);
    if (!rc)
        rc = o->format == EXPORT_NPY ? export_npy(&x) : export_safetensors(&x);
    if (!rc) *n_rows = (int64_t)x.n;
    free(x.ids);
    return rc;
}
