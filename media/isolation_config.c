/*
 * isolation_config.c — the settings of decode isolation: from
 * media_isolation_configure(), else from the environment (read once).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "media/worker_pool.h"

static pthread_mutex_t settings_mu = PTHREAD_MUTEX_INITIALIZER;
static isolation_settings settings;
static int settings_loaded;
static unsigned generation;

/* A whole decimal number in [lo, hi]; 0 with err naming `var` otherwise. */
static int env_int(const char *var, long lo, long hi, int *out, char *err)
{
    const char *v = secure_getenv(var);
    if (!v || !v[0]) return 1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi) {
        vlm_set_err(err, "%s=\"%.64s\" is not a whole number from %ld to %ld",
                    var, v, lo, hi);
        return 0;
    }
    *out = (int)n;
    return 1;
}

static int env_flag(const char *var, int *out, char *err)
{
    const char *v = secure_getenv(var);
    if (!v || !v[0]) return 1;
    if (strcmp(v, "0") && strcmp(v, "1")) {
        vlm_set_err(err, "%s=\"%.64s\" is not 0 or 1", var, v);
        return 0;
    }
    *out = v[0] == '1';
    return 1;
}

static void load_from_env(isolation_settings *s)
{
    memset(s, 0, sizeof *s);
    int timeout_s = MEDIA_DEFAULT_TIMEOUT_S;
    s->memory_mb = MEDIA_DEFAULT_MEMORY_MB;
    const char *path = secure_getenv("VLMINDEX_DECODE_WORKER");
    if (path && strlen(path) >= sizeof s->worker_path)
        vlm_set_err(s->error, "VLMINDEX_DECODE_WORKER is too long");
    else if (path)
        strcpy(s->worker_path, path);
    if (!s->error[0] &&
        env_flag("VLMINDEX_DECODE_IN_PROCESS", &s->in_process, s->error) &&
        env_int("VLMINDEX_DECODE_TIMEOUT", 1, 86400, &timeout_s, s->error))
        env_int("VLMINDEX_DECODE_MEMORY_MB", 64, 1 << 24, &s->memory_mb,
                s->error);
    s->timeout_ms = timeout_s * 1000;
    /* A file-size limit (ulimit -f) also bounds the workers' shared memory
     * (a memfd grows with ftruncate), so every decode would fail as if the
     * files were bad: decode in process instead, and say so (describe). */
    struct rlimit fs;
    if (!s->in_process && !getrlimit(RLIMIT_FSIZE, &fs) &&
        fs.rlim_cur != RLIM_INFINITY)
        s->in_process = s->fsize_limited = 1;
}

void isolation_settings_get(isolation_settings *out)
{
    pthread_mutex_lock(&settings_mu);
    if (!settings_loaded) {
        load_from_env(&settings);
        settings.generation = ++generation;
        settings_loaded = 1;
    }
    *out = settings;
    pthread_mutex_unlock(&settings_mu);
}

int media_isolation_configure(const media_isolation_opts *o, char *err)
{
    if (o->timeout_ms < 0 || o->memory_mb < 0 || o->max_workers < 0 ||
        (o->memory_mb && o->memory_mb < 64) ||
        (o->worker_path && strlen(o->worker_path) >= PATH_MAX)) {
        vlm_set_err(err,
                    "decode isolation: bad settings (timeout %d ms, "
                    "memory %d MiB, %d workers)",
                    o->timeout_ms, o->memory_mb, o->max_workers);
        return VLM_EINVAL;
    }
    pthread_mutex_lock(&settings_mu);
    memset(&settings, 0, sizeof settings);
    settings.in_process = o->in_process;
    settings.timeout_ms =
        o->timeout_ms ? o->timeout_ms : MEDIA_DEFAULT_TIMEOUT_S * 1000;
    settings.memory_mb = o->memory_mb ? o->memory_mb : MEDIA_DEFAULT_MEMORY_MB;
    settings.max_workers = o->max_workers;
    if (o->worker_path) strcpy(settings.worker_path, o->worker_path);
    settings.generation = ++generation;
    settings_loaded = 1;
    pthread_mutex_unlock(&settings_mu);
    worker_pool_drain();
    return VLM_OK;
}

void media_isolation_reset(void)
{
    pthread_mutex_lock(&settings_mu);
    settings_loaded = 0;
    pthread_mutex_unlock(&settings_mu);
    worker_pool_drain();
}

void media_isolation_describe(char *buf, size_t cap)
{
    isolation_settings s;
    isolation_settings_get(&s);
    if (s.error[0])
        snprintf(buf, cap, "misconfigured: %s", s.error);
    else if (s.fsize_limited)
        snprintf(buf, cap,
                 "in process (a file-size limit, ulimit -f, "
                 "leaves decode workers no shared memory)");
    else if (s.in_process)
        snprintf(buf, cap, "in process");
    else
        worker_describe_sandbox(buf, cap);
}
