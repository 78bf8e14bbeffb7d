/*
 * hub_download.c — which files to fetch from a hub repository, offline mode,
 * and name validation.  The transfer of one file is in hub_fetch.c.
 */
#include "model/weights/hub_download.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/weights/hub_fetch.h"

#define INDEX_NAME "model.safetensors.index.json"

/* Settings after applying the environment. */
typedef struct resolved {
    char endpoint[512];
    const char *token;
    int offline;
} resolved;

static void resolve_options(const hub_options *opt, resolved *r)
{
    const char *ep =
        opt && opt->endpoint ? opt->endpoint : getenv("HF_ENDPOINT");
    snprintf(r->endpoint, sizeof r->endpoint, "%s",
             ep && *ep ? ep : HUB_DEFAULT_ENDPOINT);
    size_t n = strlen(r->endpoint);
    while (n > 0 && r->endpoint[n - 1] == '/') r->endpoint[--n] = 0;
    r->token = opt && opt->token ? opt->token : getenv("HF_TOKEN");
    const char *off = getenv("HF_HUB_OFFLINE");
    r->offline = (opt && opt->offline) || (off && strcmp(off, "1") == 0);
}

/* "owner/name" of letters, digits, '-', '_', '.'; no ".." */
static int repo_id_ok(const char *s)
{
    int slashes = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '/')
            slashes++;
        else if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
                 !(*p >= '0' && *p <= '9') && !strchr("-_.", *p))
            return 0;
    }
    return slashes <= 1 && s[0] && s[0] != '/' && !strstr(s, "..");
}

/* A relative path that stays inside DEST and needs no URL escaping. */
static int file_name_ok(const char *s)
{
    if (!s[0] || s[0] == '/' || strstr(s, "..") || strstr(s, "//")) return 0;
    for (const char *p = s; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= '0' && *p <= '9') && !strchr("-_./", *p))
            return 0;
    return 1;
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static int check_args(const char *repo_id, const char *dest_dir,
                      const hub_file *files, int n_files, char *err)
{
    if (!repo_id || !repo_id_ok(repo_id)) {
        vlm_set_err(err, "invalid repository id '%s' (expected owner/name)",
                    repo_id ? repo_id : "(null)");
        return VLM_EINVAL;
    }
    if (!dest_dir || !*dest_dir || n_files < 0 || (n_files && !files)) {
        vlm_set_err(err, "%s: invalid download arguments", repo_id);
        return VLM_EINVAL;
    }
    for (int i = 0; i < n_files; i++) {
        if (!files[i].name || !file_name_ok(files[i].name)) {
            vlm_set_err(err, "%s: unsafe file name '%s'", repo_id,
                        files[i].name ? files[i].name : "(null)");
            return VLM_EINVAL;
        }
    }
    return VLM_OK;
}

static int offline_check(const char *repo_id, const char *dest_dir,
                         const hub_file *files, int n_files, char *err)
{
    for (int i = 0; i < n_files; i++) {
        if (!files[i].optional && !exists(dest_dir, files[i].name)) {
            vlm_set_err(
                err,
                "%s: offline mode (HF_HUB_OFFLINE or --offline) and %s/%s "
                "is not downloaded yet",
                repo_id, dest_dir, files[i].name);
            return VLM_ENETWORK;
        }
    }
    return VLM_OK;
}

/* Builds URL and paths for one file and fetches it. */
static int fetch_one(CURL *curl, const resolved *rs, const char *repo_id,
                     const char *rev_escaped, const char *dest_dir,
                     const hub_file *f, const hub_options *opt, char *err)
{
    char *url = NULL, *part = NULL, *final = NULL;
    int rc = VLM_ENOMEM;
    if (asprintf(&url, "%s/%s/resolve/%s/%s", rs->endpoint, repo_id,
                 rev_escaped, f->name) >= 0 &&
        asprintf(&part, "%s/.partial/%s.part", dest_dir, f->name) >= 0 &&
        asprintf(&final, "%s/%s", dest_dir, f->name) >= 0) {
        hub_fetch_req req = {.url = url,
                             .name = f->name,
                             .part_path = part,
                             .final_path = final,
                             .token = rs->token,
                             .opt = opt};
        rc = hub_fetch_file(curl, &req, err);
    } else {
        vlm_set_err(err, "%s: out of memory", f->name);
    }
    free(url);
    free(part);
    free(final);
    return rc;
}

int hub_download_repo(const char *repo_id, const char *revision,
                      const char *dest_dir, const hub_file *files, int n_files,
                      const hub_options *opt, char *err)
{
    int rc = check_args(repo_id, dest_dir, files, n_files, err);
    if (rc) return rc;
    resolved rs;
    resolve_options(opt, &rs);
    if (rs.offline)
        return offline_check(repo_id, dest_dir, files, n_files, err);
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/x", dest_dir);
    if ((rc = hub_make_parent_dirs(probe, err))) return rc;

    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    CURL *curl = curl_easy_init();
    char *rev =
        curl ? curl_easy_escape(curl, revision ? revision : "main", 0) : NULL;
    if (!rev) {
        curl_easy_cleanup(curl);
        vlm_set_err(err, "%s: cannot initialise libcurl", repo_id);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < n_files && rc == VLM_OK; i++) {
        if (exists(dest_dir, files[i].name)) continue;
        rc = fetch_one(curl, &rs, repo_id, rev, dest_dir, &files[i], opt, err);
        if (rc == VLM_ENOTFOUND && files[i].optional) rc = VLM_OK;
    }
    curl_free(rev);
    curl_easy_cleanup(curl);
    if (rc == VLM_OK) {
        /* leave no empty .partial behind; it stays when holding other parts */
        snprintf(probe, sizeof probe, "%s/.partial", dest_dir);
        rmdir(probe);
    }
    return rc;
}

/* ---- a whole model folder --------------------------------------------- */

static const hub_file model_base_files[] = {
    {"config.json", 0},
    {"preprocessor_config.json", 0},
    {INDEX_NAME, 1},
    {"vocab.json", 1},
    {"merges.txt", 1},
    {"tokenizer.json", 1},
    {"tokenizer.model", 1},
    {"spiece.model", 1}, /* SigLIP */
    {"vocab.txt", 1},    /* Chinese-CLIP (BERT WordPiece) */
    {"tokenizer_config.json", 1},
    {"special_tokens_map.json", 1},
};

/* The distinct shard names of DEST/model.safetensors.index.json. */
static int shard_list(const char *dest_dir, hub_file **out, int *n_out,
                      char *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dest_dir, INDEX_NAME);
    json_object *root = json_object_from_file(path), *wm = NULL;
    if (!root || !json_object_object_get_ex(root, "weight_map", &wm) ||
        !json_object_is_type(wm, json_type_object)) {
        json_object_put(root);
        vlm_set_err(err, "%s: not a valid index (no \"weight_map\" object)",
                    path);
        return VLM_EFORMAT;
    }
    int n = 0, cap = json_object_object_length(wm);
    hub_file *v = calloc((size_t)cap + 1, sizeof *v);
    int rc = v ? VLM_OK : VLM_ENOMEM;
    json_object_object_foreach(wm, tensor, val)
    {
        const char *shard = json_object_get_string(val);
        if (rc || !json_object_is_type(val, json_type_string)) continue;
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(v[i].name, shard) == 0;
        if (!seen && !(v[n++].name = strdup(shard))) rc = VLM_ENOMEM;
        (void)tensor;
    }
    json_object_put(root);
    *out = v;
    *n_out = n;
    if (rc) vlm_set_err(err, "%s: out of memory", path);
    return rc;
}

static void free_files(hub_file *v, int n)
{
    for (int i = 0; v && i < n; i++) free((char *)v[i].name);
    free(v);
}

static int download_weights(const char *repo_id, const char *revision,
                            const char *dest_dir, const hub_options *opt,
                            char *err)
{
    if (!exists(dest_dir, INDEX_NAME)) {
        const hub_file single = {"model.safetensors", 0};
        int rc = hub_download_repo(repo_id, revision, dest_dir, &single, 1, opt,
                                   err);
        if (rc == VLM_ENOTFOUND)
            vlm_set_err(err,
                        "%s (revision %s) has no model.safetensors: only "
                        "safetensors weights are read, never PyTorch pickles "
                        "(pytorch_model.bin, *.pt can run code when loaded); "
                        "look on the hub for a safetensors conversion of the "
                        "model (often a pull request \"Adding `safetensors` "
                        "variant of this model\") and pass its revision, "
                        "e.g. refs/pr/1",
                        repo_id, revision ? revision : "main");
        return rc;
    }
    hub_file *shards = NULL;
    int n = 0;
    int rc = shard_list(dest_dir, &shards, &n, err);
    if (rc == VLM_OK)
        rc =
            hub_download_repo(repo_id, revision, dest_dir, shards, n, opt, err);
    free_files(shards, n);
    return rc;
}

int hub_download_model(const char *repo_id, const char *revision,
                       const char *dest_dir, const hub_options *opt, char *err)
{
    int n_base = (int)(sizeof model_base_files / sizeof model_base_files[0]);
    int rc = hub_download_repo(repo_id, revision, dest_dir, model_base_files,
                               n_base, opt, err);
    if (rc == VLM_OK)
        rc = download_weights(repo_id, revision, dest_dir, opt, err);
    if (rc) return rc;
    int has_bpe =
        exists(dest_dir, "vocab.json") && exists(dest_dir, "merges.txt");
    if (!has_bpe && !exists(dest_dir, "tokenizer.json") &&
        !exists(dest_dir, "tokenizer.model") &&
        !exists(dest_dir, "spiece.model") && !exists(dest_dir, "vocab.txt")) {
        vlm_set_err(err,
                    "%s: no tokenizer files (vocab.json + merges.txt, "
                    "tokenizer.json, tokenizer.model, spiece.model or "
                    "vocab.txt) in the repository",
                    repo_id);
        return VLM_ENOTFOUND;
    }
    return VLM_OK;
}
