#include "bin/cli_common.h"

#include "model/weights/hub_download.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t cli_cancel = 0;

static void on_signal(int sig)
{
    if (cli_cancel) { /* second Ctrl-C: stop now (SQLite stays consistent) */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cli_cancel = 1;
}

void cli_install_signal_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_common_init(cli_common *o)
{
    memset(o, 0, sizeof *o);
    const char *off = getenv("VLMINDEX_OFFLINE");
    o->offline = off && *off && strcmp(off, "0");
}

void cli_print_version(const char *prog)
{
    printf("%s %s\n", prog, VLMINDEX_VERSION);
}

void cli_error(const char *msg) { fprintf(stderr, "error: %s\n", msg); }

int cli_exit_code(int status, const char *err)
{
    if (status == VLM_EINTERRUPTED) {
        fprintf(stderr, "%s\n", err);
        return 130;
    }
    if (status) cli_error(err);
    return status ? EXIT_ERROR : 0;
}

int cli_collection_dir(const cli_common *o, char *buf, size_t n, char *err)
{
    if (o->collection) {
        snprintf(buf, n, "%s", o->collection);
        return VLM_OK;
    }
    return collection_default_dir(buf, n, err);
}

int cli_open(const cli_common *o, int create, int private_perms, collection **c,
             vector_index **vi, char *err)
{
    char dir[4096];
    int rc = cli_collection_dir(o, dir, sizeof dir, err);
    if (rc) return rc;
    collection_options co = {.create_if_missing = create,
                             .private_perms = private_perms};
    rc = collection_open(dir, &co, c, err);
    if (rc == VLM_ENOTFOUND && !create)
        vlm_set_err(err,
                    "no collection at %s: index some images first with "
                    "`vlmindex add DIR` (or pass --collection DIR)",
                    dir);
    if (rc || !vi) return rc;
    collection_model cm;
    if (collection_get_model(*c, &cm, NULL) != VLM_OK) {
        *vi = NULL;
        return VLM_OK; /* empty collection: no index yet */
    }
    /* A rebuilt index is saved, so the next command does not rebuild again. */
    vector_index_options vo = {.save_after_rebuild = true};
    rc = vector_index_open(*c, &vo, vi, err);
    if (rc) {
        collection_close(*c);
        *c = NULL;
    }
    return rc;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_models_dir(char *buf, size_t n)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/vlmindex/models", xdg);
    else
        snprintf(buf, n, "%s/.local/share/vlmindex/models", home ? home : ".");
    return VLM_OK;
}

/* "org/name" -> MODELS/org--name (the hub cache's naming). */
static void installed_path(const char *name, char *out, size_t n)
{
    char models[4096], flat[1024];
    size_t k = 0;
    cli_models_dir(models, sizeof models);
    for (const char *p = name; *p && k + 3 < sizeof flat; p++) {
        if (*p == '/') {
            flat[k++] = '-';
            flat[k++] = '-';
        } else {
            flat[k++] = *p;
        }
    }
    flat[k] = 0;
    snprintf(out, n, "%s/%s", models, flat);
}

static int try_model(const char *cand, char *dir, size_t n)
{
    char p[4096];
    if (!cand || !*cand) return 0;
    if (is_dir(cand)) {
        char *abs = realpath(cand, NULL);
        snprintf(dir, n, "%s", abs ? abs : cand);
        free(abs);
        return 1;
    }
    installed_path(cand, p, sizeof p);
    if (is_dir(p)) {
        snprintf(dir, n, "%s", p);
        return 1;
    }
    return 0;
}

int cli_resolve_model(const cli_common *o, collection *c, char *dir, size_t n,
                      char *err)
{
    if (o->model) {
        if (try_model(o->model, dir, n)) return VLM_OK;
        vlm_set_err(err,
                    "model '%s' not found: give a checkpoint folder (--model "
                    "DIR) or install it with `vlmindex model pull %s`",
                    o->model, o->model);
        return VLM_ENOTFOUND;
    }
    char used[4096];
    if (c &&
        collection_meta_get(c, "model_dir", used, sizeof used, NULL) ==
            VLM_OK &&
        try_model(used, dir, n))
        return VLM_OK;
    if (try_model(getenv("VLMINDEX_MODEL"), dir, n) ||
        try_model(DEFAULT_MODEL_REPO, dir, n))
        return VLM_OK;
    vlm_set_err(err,
                "no model installed: pass --model DIR (a Hugging Face CLIP "
                "checkpoint folder) or run `vlmindex model pull %s`",
                DEFAULT_MODEL_REPO);
    return VLM_ENOTFOUND;
}

int cli_load_model(const cli_common *o, const char *dir, int parts,
                   clip_model **m, char *err)
{
    clip_options co = clip_options_default();
    co.parts = parts;
    co.threads = o->threads;
    co.precision = o->bf16 ? VLM_PREC_BF16 : o->fp32;
    co.tokenizer_dir = o->tokenizer;
    return clip_model_load(dir, &co, m, err);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double last_draw;
static int drawn;

void cli_progress(int quiet, int64_t done, int64_t total, double elapsed,
                  const char *what)
{
    if (quiet || !isatty(2)) return;
    double t = now();
    if (done < total && t - last_draw < 0.1) return;
    last_draw = t;
    drawn = 1;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)(width * done / total) : 0;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    const char *name = what ? strrchr(what, '/') : NULL;
    fprintf(stderr, "\r\033[K[%s] %lld/%lld  %.1f/s  ETA %d:%02d  %.40s", bar,
            (long long)done, (long long)total, rate, (int)eta / 60,
            (int)eta % 60, name ? name + 1 : (what ? what : ""));
    fflush(stderr);
}

void cli_progress_done(int quiet)
{
    if (!quiet && drawn && isatty(2)) fputs("\r\033[K", stderr);
    drawn = 0;
}

int cli_common_option(cli_common *o, int opt, const char *arg)
{
    switch (opt) {
    case 'C': o->collection = arg; return 1;
    case 'M': o->model = arg; return 1;
    case 'T': o->tokenizer = arg; return 1;
    case 'j': o->threads = atoi(arg); return 1;
    case 'B': o->bf16 = 1; return 1;
    case 'O': o->offline = 1; return 1;
    case 'q': o->quiet = 1; return 1;
    default: return 0;
    }
}

static int pull_progress(void *user, uint64_t done, uint64_t total,
                         const char *file)
{
    const cli_common *o = user;
    static double t0;
    if (!t0) t0 = now();
    cli_progress(o->quiet, (int64_t)(done >> 20), (int64_t)(total >> 20),
                 now() - t0, file);
    return cli_cancel;
}

int cli_pull_model(const cli_common *o, const char *name, const char *revision,
                   char *dir, size_t n, char *err)
{
    hub_options ho = {.offline = o->offline,
                      .progress = pull_progress,
                      .progress_user = (void *)o};
    installed_path(name, dir, n);
    cli_install_signal_handlers();
    int rc = hub_download_model(name, revision, dir, &ho, err);
    cli_progress_done(o->quiet);
    return rc;
}

int cli_resolve_or_fetch_model(const cli_common *o, collection *c, char *dir,
                               size_t n, char *err)
{
    int rc = cli_resolve_model(o, c, dir, n, err);
    if (rc != VLM_ENOTFOUND || o->model) return rc;
    if (o->offline) {
        vlm_set_err(err, "no model installed and --offline/VLMINDEX_OFFLINE=1 "
                         "forbids downloading: pass --model DIR (a Hugging "
                         "Face CLIP checkpoint folder)");
        return VLM_ENOTFOUND;
    }
    fprintf(stderr,
            "No model installed. Downloading the default model %s "
            "(about 605 MB, once) — use --model DIR to use a local checkpoint "
            "instead.\n",
            DEFAULT_MODEL_REPO);
    return cli_pull_model(o, DEFAULT_MODEL_REPO, NULL, dir, n, err);
}
