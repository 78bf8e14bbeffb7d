/* ckpt_convert.c — dtype-converted copies of fixture checkpoints
 * (ckpt_convert.h). */
#include "tests/common/ckpt_convert.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t to_half(float f, st_dtype dtype)
{
    if (dtype == ST_BF16) return st_f32_to_bf16(f);
    _Float16 h = (_Float16)f;
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}

/* The bytes tensor t takes in the new file (malloc'd), *n their count. */
static void *tensor_bytes(const st_tensor *t, st_dtype dtype, size_t *n)
{
    char err[VLM_ERR_MAX] = "";
    if (t->dtype != ST_F32) {
        void *d = malloc(t->nbytes ? t->nbytes : 1);
        cr_assert_not_null(d);
        memcpy(d, t->data, t->nbytes);
        *n = t->nbytes;
        return d;
    }
    float *f = malloc((size_t)t->numel * sizeof(float));
    uint16_t *h = malloc((size_t)t->numel * 2 + 1);
    cr_assert(f && h);
    cr_assert_eq(st_tensor_to_f32(t, f, (size_t)t->numel, err), VLM_OK, "%s",
                 err);
    for (int64_t i = 0; i < t->numel; i++) h[i] = to_half(f[i], dtype);
    free(f);
    *n = (size_t)t->numel * 2;
    return h;
}

static void write_file(const st_file *f, st_dtype dtype, const char *path)
{
    int count = st_file_count(f);
    void **data = calloc((size_t)count, sizeof *data);
    size_t *len = calloc((size_t)count, sizeof *len), off = 0;
    struct json_object *hdr = json_object_new_object();
    for (int i = 0; i < count; i++) {
        const st_tensor *t = st_file_tensor(f, i);
        data[i] = tensor_bytes(t, dtype, &len[i]);
        struct json_object *o = json_object_new_object(),
                           *shape = json_object_new_array(),
                           *offs = json_object_new_array();
        st_dtype d = t->dtype == ST_F32 ? dtype : t->dtype;
        json_object_object_add(o, "dtype",
                               json_object_new_string(st_dtype_name(d)));
        for (int k = 0; k < t->ndim; k++)
            json_object_array_add(shape, json_object_new_int64(t->shape[k]));
        json_object_array_add(offs, json_object_new_int64((int64_t)off));
        json_object_array_add(offs,
                              json_object_new_int64((int64_t)(off + len[i])));
        json_object_object_add(o, "shape", shape);
        json_object_object_add(o, "data_offsets", offs);
        json_object_object_add(hdr, t->name, o);
        off += len[i];
    }
    const char *js =
        json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN);
    size_t hl = strlen(js), padded = (hl + 7) & ~(size_t)7;
    FILE *out = fopen(path, "wb");
    cr_assert_not_null(out, "cannot write %s", path);
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    fwrite(len8, 1, 8, out);
    fwrite(js, 1, hl, out);
    for (size_t i = hl; i < padded; i++) fputc(' ', out);
    for (int i = 0; i < count; i++) {
        fwrite(data[i], 1, len[i], out);
        free(data[i]);
    }
    cr_assert_eq(fclose(out), 0);
    json_object_put(hdr);
    free(data);
    free(len);
}

void ckpt_convert(const char *src, st_dtype dtype, char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/vlm-ckpt-%s-XXXXXX", st_dtype_name(dtype));
    cr_assert_not_null(mkdtemp(out));
    DIR *d = opendir(src);
    cr_assert_not_null(d, "cannot list %s", src);
    char a[8192], b[8192], err[VLM_ERR_MAX] = "";
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(a, sizeof a, "%s/%s", src, e->d_name);
        snprintf(b, sizeof b, "%s/%s", out, e->d_name);
        if (strcmp(e->d_name, "model.safetensors") != 0) {
            cr_assert_eq(symlink(a, b), 0, "symlink %s", b);
            continue;
        }
        st_file *f;
        cr_assert_eq(st_file_open(a, &f, err), VLM_OK, "%s", err);
        write_file(f, dtype, b);
        st_file_close(f);
    }
    closedir(d);
}

void ckpt_convert_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char p[8192];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}
