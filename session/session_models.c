#include "session/session_models.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/weights/hub_download.h"

void session_models_dir(char *buf, size_t n)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/vlmindex/models", xdg);
    else
        snprintf(buf, n, "%s/.local/share/vlmindex/models", home ? home : ".");
}

void session_installed_path(const char *name, char *buf, size_t n)
{
    char models[SESSION_PATH_MAX], flat[1024];
    size_t k = 0;
    session_models_dir(models, sizeof models);
    for (const char *p = name; *p && k + 3 < sizeof flat; p++) {
        if (*p == '/') {
            flat[k++] = '-';
            flat[k++] = '-';
        } else {
            flat[k++] = *p;
        }
    }
    flat[k] = 0;
    snprintf(buf, n, "%s/%s", models, flat);
}

/* "org--name" -> "org/name" (the inverse of session_installed_path). */
static void repo_name(const char *folder, char *out, size_t n)
{
    const char *sep = strstr(folder, "--");
    if (sep)
        snprintf(out, n, "%.*s/%s", (int)(sep - folder), folder, sep + 2);
    else
        snprintf(out, n, "%s", folder);
}

int session_list_models(void (*cb)(void *ud, const char *name, const char *dir),
                        void *ud)
{
    char models[SESSION_PATH_MAX], dir[SESSION_PATH_MAX + 256],
        cfg[SESSION_PATH_MAX + 300], name[512];
    session_models_dir(models, sizeof models);
    DIR *d = opendir(models);
    if (!d) return 0;
    struct dirent *e;
    struct stat st;
    int n = 0;
    while ((e = readdir(d))) {
        snprintf(dir, sizeof dir, "%s/%s", models, e->d_name);
        snprintf(cfg, sizeof cfg, "%s/config.json", dir);
        if (e->d_name[0] == '.' || stat(cfg, &st) != 0) continue;
        repo_name(e->d_name, name, sizeof name);
        cb(ud, name, dir);
        n++;
    }
    closedir(d);
    return n;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_config(const char *dir)
{
    char cfg[SESSION_PATH_MAX + 16];
    struct stat st;
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    return stat(cfg, &st) == 0 && S_ISREG(st.st_mode);
}

/* MODELS/org--name -> MODELS/.org--name.partial */
static void partial_dir(const char *dir, char *out, size_t n)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    snprintf(out, n, "%.*s.%s.partial", (int)(base - dir), dir, base);
}

bool session_find_model(const char *name_or_dir, char *dir, size_t n)
{
    char p[SESSION_PATH_MAX];
    if (!name_or_dir || !*name_or_dir) return false;
    if (is_dir(name_or_dir)) {
        char *abs = realpath(name_or_dir, NULL);
        snprintf(dir, n, "%s", abs ? abs : name_or_dir);
        free(abs);
        return true;
    }
    session_installed_path(name_or_dir, p, sizeof p);
    if (!has_config(p)) return false; /* not (wholly) installed */
    snprintf(dir, n, "%s", p);
    return true;
}

/* The hub repo an installed folder name stands for ("org--name" ->
 * "org/name"); false when the name has no "--". */
static bool repo_of_folder(const char *folder, char *repo, size_t n)
{
    if (!strstr(folder, "--")) return false;
    repo_name(folder, repo, n);
    return true;
}

/* A collection built with a model: the folder it recorded, else that
 * model installed under its name, else $VLMINDEX_MODEL.  Never the default
 * (the collection would refuse another model); the advice names its own. */
static int find_bound(collection *c, const collection_model *bm, char *dir,
                      size_t n, char *err)
{
    char used[SESSION_PATH_MAX] = "", repo[512] = "";
    bool recorded =
        collection_meta_get(c, "model_dir", used, sizeof used, NULL) == VLM_OK;
    bool hub = repo_of_folder(bm->name, repo, sizeof repo);
    if ((recorded && session_find_model(used, dir, n)) ||
        (hub && session_find_model(repo, dir, n)) ||
        session_find_model(getenv("VLMINDEX_MODEL"), dir, n))
        return VLM_OK;
    vlm_set_err(err,
                "the collection was built with %s%s%s%s: pass --model DIR "
                "with that checkpoint%s%s%s",
                bm->name, recorded ? " (its folder " : "", recorded ? used : "",
                recorded ? " is gone)" : "",
                hub ? ", or run `vlmindex model pull " : "", hub ? repo : "",
                hub ? "`" : "");
    return VLM_ENOTFOUND;
}

/* Steps 3-4 without a bound model: $VLMINDEX_MODEL, the default. */
static bool find_unbound(char *dir, size_t n)
{
    return session_find_model(getenv("VLMINDEX_MODEL"), dir, n) ||
           session_find_model(SESSION_DEFAULT_MODEL, dir, n);
}

static int fetch_default(const session_model_query *q, char *dir, size_t n,
                         char *err)
{
    if (q->offline) {
        vlm_set_err(err, "no model installed and --offline/VLMINDEX_OFFLINE=1 "
                         "forbids downloading: pass --model DIR (a Hugging "
                         "Face CLIP checkpoint folder)");
        return VLM_ENOTFOUND;
    }
    if (q->fetch && q->fetch->announce)
        q->fetch->announce(q->fetch->user, SESSION_DEFAULT_MODEL);
    return session_pull_model(SESSION_DEFAULT_MODEL, NULL, false, q->fetch, dir,
                              n, err);
}

int session_resolve_model(const session_model_query *q, char *dir, size_t n,
                          char *err)
{
    if (q->model) {
        if (session_find_model(q->model, dir, n)) return VLM_OK;
        vlm_set_err(err,
                    "model '%s' not found: give a checkpoint folder (--model "
                    "DIR) or install it with `vlmindex model pull %s`",
                    q->model, q->model);
        return VLM_ENOTFOUND;
    }
    collection_model bm;
    if (q->c && collection_get_model(q->c, &bm, NULL) == VLM_OK)
        return find_bound(q->c, &bm, dir, n, err);
    if (find_unbound(dir, n)) return VLM_OK;
    if (q->fetch_default) return fetch_default(q, dir, n, err);
    vlm_set_err(err,
                "no model installed: pass --model DIR (a Hugging Face CLIP "
                "checkpoint folder) or run `vlmindex model pull %s`",
                SESSION_DEFAULT_MODEL);
    return VLM_ENOTFOUND;
}

int session_pull_model(const char *name, const char *revision, bool offline,
                       const session_fetch_hooks *fetch, char *dir, size_t n,
                       char *err)
{
    hub_options ho = {.offline = offline};
    if (fetch) {
        ho.progress = fetch->progress;
        ho.progress_user = fetch->user;
    }
    /* A first download goes to MODELS/.NAME.partial, renamed when whole:
     * a failed one leaves no folder that looks installed (and the next
     * pull resumes from the parts).  An installed model updates in place. */
    char tmp[SESSION_PATH_MAX + 16];
    session_installed_path(name, dir, n);
    partial_dir(dir, tmp, sizeof tmp);
    if (is_dir(dir) && !has_config(dir) && !is_dir(tmp))
        (void)rename(dir, tmp); /* a half folder of an older version */
    const char *into = has_config(dir) ? dir : tmp;
    int rc = hub_download_model(name, revision, into, &ho, err);
    if (!rc && into == tmp && rename(tmp, dir) != 0) {
        vlm_set_err(err, "cannot move %s to %s: %s", tmp, dir, strerror(errno));
        rc = VLM_EIO;
    }
    return rc;
}
