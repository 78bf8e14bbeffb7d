#include "tests/e2e/e2e_util.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int e2e_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return test_sh("%s", cmd);
}

void e2e_ws_init(e2e_ws *ws, const char *model_name)
{
    test_ws_init(ws, model_name);
}

void e2e_ws_cleanup(e2e_ws *ws) { test_ws_cleanup(ws); }

static char *slurp_fd(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    lseek(fd, 0, SEEK_SET);
    ssize_t r;
    while (b && (r = read(fd, b + n, cap - n)) > 0) {
        n += (size_t)r;
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
    }
    if (b) b[n] = 0;
    if (len) *len = n;
    return b;
}

void e2e_bin(const char *prog, char *out, size_t n)
{
    const char *bd = getenv("VLM_BUILD_DIR");
    snprintf(out, n, "%s/bin/%s", bd ? bd : ".", prog);
}

/* argv[0] is a path, or a name searched in $PATH. */
static pid_t spawn_argv(const char *const *argv, int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    pid_t pid = -1;
    if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) !=
        0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static pid_t spawn(const char *prog, const char *const *args, int out_fd,
                   int err_fd)
{
    char path[1024];
    const char *argv[128];
    int n = 0;
    e2e_bin(prog, path, sizeof path);
    argv[n++] = path;
    for (int i = 0; args[i] && n < 127; i++) argv[n++] = args[i];
    argv[n] = NULL;
    return spawn_argv(argv, out_fd, err_fd);
}

static e2e_run collect(pid_t pid, FILE *o, FILE *e)
{
    e2e_run r = {0};
    int st;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp_fd(fileno(o), &r.out_len);
    r.err = slurp_fd(fileno(e), NULL);
    fclose(o);
    fclose(e);
    return r;
}

e2e_run e2e_exec_argv(const char *const *argv)
{
    FILE *o = tmpfile(), *e = tmpfile();
    pid_t pid = spawn_argv(argv, fileno(o), fileno(e));
    cr_assert_gt(pid, 0, "cannot start %s", argv[0]);
    return collect(pid, o, e);
}

long long e2e_summary_count(const char *out, const char *field)
{
    char key[64];
    snprintf(key, sizeof key, "%s ", field);
    const char *p = out ? strstr(out, key) : NULL;
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

e2e_run e2e_exec(const char *prog, const char *const *args)
{
    FILE *o = tmpfile(), *e = tmpfile();
    pid_t pid = spawn(prog, args, fileno(o), fileno(e));
    cr_assert_gt(pid, 0, "cannot start %s", prog);
    return collect(pid, o, e);
}

int e2e_spawn(const char *prog, const char *const *args)
{
    int null = open("/dev/null", O_WRONLY);
    pid_t pid = spawn(prog, args, null, null);
    close(null);
    return (int)pid;
}

void e2e_run_free(e2e_run *r)
{
    free(r->out);
    free(r->err);
}

int e2e_count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

collection_counts e2e_counts(const char *coll)
{
    collection *c;
    collection_counts k;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_counts(c, &k, err), 0, "%s", err);
    collection_close(c);
    return k;
}
