/*
 * checkpoint.c — a Hugging Face checkpoint folder: DIR/model.safetensors, or
 * the shards listed by DIR/model.safetensors.index.json ("weight_map").
 *
 * All shards are validated at open; tensor names must be unique across
 * shards and every weight_map entry must really live in the shard it names.
 */
#include "model/weights/st_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INDEX_NAME  "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"

struct st_checkpoint {
    char *dir;
    int n_files;
    st_file **files;
    char **shard_names; /* parallel to files */
    int count;
    const st_tensor **tensors; /* file order, then header order */
    const st_tensor **by_name;
};

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void st_checkpoint_close(st_checkpoint *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_files; i++) {
        st_file_close(c->files[i]);
        free(c->shard_names[i]);
    }
    free(c->files);
    free(c->shard_names);
    free(c->tensors);
    free(c->by_name);
    free(c->dir);
    free(c);
}

static int find_shard(const st_checkpoint *c, const char *name)
{
    for (int i = 0; i < c->n_files; i++)
        if (strcmp(c->shard_names[i], name) == 0) return i;
    return -1;
}

/* Shard names come from a downloaded file: keep them inside DIR. */
static int shard_name_ok(const char *s)
{
    return s[0] && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\');
}

static int add_shard(st_checkpoint *c, const char *name, char *err)
{
    if (find_shard(c, name) >= 0) return VLM_OK;
    char *path = join_path(c->dir, name);
    st_file **files =
        realloc(c->files, (size_t)(c->n_files + 1) * sizeof *files);
    if (files) c->files = files;
    char **names =
        realloc(c->shard_names, (size_t)(c->n_files + 1) * sizeof *names);
    if (names) c->shard_names = names;
    char *dup = strdup(name);
    if (!path || !files || !names || !dup) {
        free(path);
        free(dup);
        vlm_set_err(err, "%s: out of memory", c->dir);
        return VLM_ENOMEM;
    }
    st_file *f;
    int rc = st_file_open(path, &f, err);
    free(path);
    if (rc) {
        free(dup);
        return rc;
    }
    c->files[c->n_files] = f;
    c->shard_names[c->n_files] = dup;
    c->n_files++;
    return VLM_OK;
}

static struct json_object *read_weight_map(const char *index_path,
                                           struct json_object **root, char *err)
{
    *root = json_object_from_file(index_path);
    if (!*root) {
        vlm_set_err(err, "%s: cannot read or parse: %s", index_path,
                    json_util_get_last_err() ? json_util_get_last_err()
                                             : "invalid JSON");
        return NULL;
    }
    struct json_object *wm = NULL;
    if (!json_object_object_get_ex(*root, "weight_map", &wm) ||
        !json_object_is_type(wm, json_type_object)) {
        vlm_set_err(err, "%s: no \"weight_map\" object", index_path);
        return NULL;
    }
    return wm;
}

static int add_mapped_tensor(st_checkpoint *c, const char *index_path,
                             const char *tname, struct json_object *val,
                             char *err)
{
    const char *shard = json_object_get_string(val);
    if (!json_object_is_type(val, json_type_string) || !shard_name_ok(shard)) {
        vlm_set_err(err, "%s: tensor '%s' maps to an invalid shard name",
                    index_path, tname);
        return VLM_EFORMAT;
    }
    int rc = add_shard(c, shard, err);
    if (rc == VLM_OK && !st_file_find(c->files[find_shard(c, shard)], tname)) {
        vlm_set_err(err,
                    "%s: tensor '%s' is listed for shard %s but is not in it",
                    index_path, tname, shard);
        rc = VLM_ENOTFOUND;
    }
    return rc;
}

static int open_shards(st_checkpoint *c, const char *index_path, char *err)
{
    struct json_object *root;
    struct json_object *wm = read_weight_map(index_path, &root, err);
    int rc = wm ? VLM_OK : VLM_EFORMAT;
    if (wm) {
        json_object_object_foreach(wm, tname, val)
        {
            if ((rc = add_mapped_tensor(c, index_path, tname, val, err))) break;
        }
    }
    if (rc == VLM_OK && c->n_files == 0) {
        vlm_set_err(err, "%s: \"weight_map\" is empty", index_path);
        rc = VLM_EFORMAT;
    }
    json_object_put(root);
    return rc;
}

static int index_tensors(st_checkpoint *c, char *err)
{
    for (int i = 0; i < c->n_files; i++) c->count += st_file_count(c->files[i]);
    c->tensors = malloc((size_t)c->count * sizeof *c->tensors + 1);
    c->by_name = malloc((size_t)c->count * sizeof *c->by_name + 1);
    if (!c->tensors || !c->by_name) {
        vlm_set_err(err, "%s: out of memory", c->dir);
        return VLM_ENOMEM;
    }
    int k = 0;
    for (int i = 0; i < c->n_files; i++)
        for (int j = 0; j < st_file_count(c->files[i]); j++)
            c->tensors[k++] = st_file_tensor(c->files[i], j);
    memcpy(c->by_name, c->tensors, (size_t)c->count * sizeof *c->by_name);
    qsort(c->by_name, (size_t)c->count, sizeof *c->by_name, st_tensor_ptr_cmp);
    for (int i = 1; i < c->count; i++) {
        if (strcmp(c->by_name[i - 1]->name, c->by_name[i]->name) == 0) {
            vlm_set_err(err, "%s: tensor '%s' appears in both %s and %s",
                        c->dir, c->by_name[i]->name, c->by_name[i - 1]->path,
                        c->by_name[i]->path);
            return VLM_EFORMAT;
        }
    }
    return VLM_OK;
}

int st_checkpoint_open(const char *dir, st_checkpoint **out, char *err)
{
    *out = NULL;
    st_checkpoint *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(dir))) {
        free(c);
        vlm_set_err(err, "%s: out of memory", dir);
        return VLM_ENOMEM;
    }
    char *index_path = join_path(dir, INDEX_NAME);
    char *single_path = join_path(dir, SINGLE_NAME);
    int rc;
    if (!index_path || !single_path) {
        vlm_set_err(err, "%s: out of memory", dir);
        rc = VLM_ENOMEM;
    } else if (access(index_path, F_OK) == 0) {
        rc = open_shards(c, index_path, err);
    } else if (access(single_path, F_OK) == 0) {
        rc = add_shard(c, SINGLE_NAME, err);
    } else {
        vlm_set_err(err, "%s: no %s or %s in this folder", dir, SINGLE_NAME,
                    INDEX_NAME);
        rc = VLM_ENOTFOUND;
    }
    free(index_path);
    free(single_path);
    if (rc == VLM_OK) rc = index_tensors(c, err);
    if (rc) {
        st_checkpoint_close(c);
        return rc;
    }
    *out = c;
    return VLM_OK;
}

const st_tensor *st_checkpoint_find(const st_checkpoint *c, const char *name)
{
    return c ? st_sorted_find(c->by_name, c->count, name) : NULL;
}

int st_checkpoint_count(const st_checkpoint *c) { return c ? c->count : 0; }

const st_tensor *st_checkpoint_tensor(const st_checkpoint *c, int i)
{
    return c && i >= 0 && i < c->count ? c->tensors[i] : NULL;
}

/* "[a, b, c]" into buf. */
static const char *format_shape(char *buf, size_t cap, int ndim,
                                const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "",
                              (long long)shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
    return buf;
}

static int same_shape(const st_tensor *t, int ndim, const int64_t *shape)
{
    if (t->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i]) return 0;
    return 1;
}

int st_checkpoint_require(const st_checkpoint *c, const char *name, int ndim,
                          const int64_t *shape, const st_tensor **out,
                          char *err)
{
    if (out) *out = NULL;
    const st_tensor *t = st_checkpoint_find(c, name);
    if (!t) {
        vlm_set_err(err, "%s: required tensor '%s' is missing",
                    c ? c->dir : "?", name);
        return VLM_ENOTFOUND;
    }
    char want[160], got[160];
    if (ndim < 0 || ndim > ST_MAX_DIMS || !same_shape(t, ndim, shape)) {
        vlm_set_err(
            err, "%s: tensor '%s': expected shape %s, found %s", t->path, name,
            format_shape(want, sizeof want,
                         ndim < 0 || ndim > ST_MAX_DIMS ? 0 : ndim, shape),
            format_shape(got, sizeof got, t->ndim, t->shape));
        return VLM_EMISMATCH;
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16) {
        vlm_set_err(
            err,
            "%s: tensor '%s': expected a float dtype (F32/F16/BF16), found %s",
            t->path, name, st_dtype_name(t->dtype));
        return VLM_EMISMATCH;
    }
    if (out) *out = t;
    return VLM_OK;
}
