/* st_test_util.c — see st_test_util.h. */
#include "st_test_util.h"

#include <ftw.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *stt_join(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
    return p;
}

char *stt_fixture(const char *rel)
{
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return stt_join(root, rel);
}

char *stt_tempdir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *p = stt_join(tmp && *tmp ? tmp : "/tmp", "vlm-weights-XXXXXX");
    if (!mkdtemp(p)) abort();
    return p;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void stt_rmtree(const char *dir)
{
    if (dir) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *stt_write_raw(const char *dir, const char *name, const void *buf,
                    size_t len)
{
    char *path = stt_join(dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (len && fwrite(buf, 1, len, fp) != len) || fclose(fp) != 0)
        abort();
    return path;
}

char *stt_write_st(const char *dir, const char *name, const char *header,
                   size_t declared_len, const void *data, size_t data_len)
{
    size_t hl = strlen(header);
    uint64_t n = declared_len == (size_t)-1 ? hl : declared_len;
    size_t total = 8 + hl + data_len;
    unsigned char *buf = malloc(total);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, header, hl);
    if (data_len) memcpy(buf + 8 + hl, data, data_len);
    char *path = stt_write_raw(dir, name, buf, total);
    free(buf);
    return path;
}

static json_object *shape_json(const st_tensor *t)
{
    json_object *a = json_object_new_array();
    for (int d = 0; d < t->ndim; d++)
        json_object_array_add(a, json_object_new_int64(t->shape[d]));
    return a;
}

char *stt_write_tensors(const char *dir, const char *name,
                        const st_tensor *const *tensors, int n)
{
    json_object *root = json_object_new_object();
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const st_tensor *t = tensors[i];
        json_object *e = json_object_new_object();
        json_object *span = json_object_new_array();
        json_object_array_add(span, json_object_new_int64((int64_t)off));
        json_object_array_add(
            span, json_object_new_int64((int64_t)(off + t->nbytes)));
        json_object_object_add(e, "dtype",
                               json_object_new_string(st_dtype_name(t->dtype)));
        json_object_object_add(e, "shape", shape_json(t));
        json_object_object_add(e, "data_offsets", span);
        json_object_object_add(root, t->name, e);
        off += t->nbytes;
    }
    unsigned char *data = malloc(off + 1);
    off = 0;
    for (int i = 0; i < n; i++) {
        memcpy(data + off, tensors[i]->data, tensors[i]->nbytes);
        off += tensors[i]->nbytes;
    }
    char *path = stt_write_st(dir, name, json_object_to_json_string(root),
                              (size_t)-1, data, off);
    free(data);
    json_object_put(root);
    return path;
}

static void shard_name(char *buf, size_t cap, int k, int n)
{
    snprintf(buf, cap, "model-%05d-of-%05d.safetensors", k + 1, n);
}

void stt_write_sharded(const char *dir, const st_file *src, int n_shards)
{
    int n = st_file_count(src);
    const st_tensor **ts = malloc((size_t)n * sizeof *ts + 1);
    for (int i = 0; i < n; i++) ts[i] = st_file_tensor(src, i);
    json_object *root = json_object_new_object(),
                *wm = json_object_new_object();
    for (int k = 0; k < n_shards; k++) {
        int lo = n * k / n_shards, hi = n * (k + 1) / n_shards;
        char name[64];
        shard_name(name, sizeof name, k, n_shards);
        free(stt_write_tensors(dir, name, ts + lo, hi - lo));
        for (int i = lo; i < hi; i++)
            json_object_object_add(wm, ts[i]->name,
                                   json_object_new_string(name));
    }
    json_object_object_add(root, "metadata", json_object_new_object());
    json_object_object_add(root, "weight_map", wm);
    const char *text = json_object_to_json_string(root);
    free(
        stt_write_raw(dir, "model.safetensors.index.json", text, strlen(text)));
    json_object_put(root);
    free(ts);
}
