/* End-to-end: one writer at a time (two adds creating one collection,
 * reset during an add, a busy collection with and without --no-wait), and
 * read-only collections (another user's, a read-only bind mount). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"
#define N_BIG 12

static e2e_ws ws;
static char vi_bin[1024], vs_bin[1024];

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    e2e_bin("vlmindex", vi_bin, sizeof vi_bin);
    e2e_bin("vlmsearch", vs_bin, sizeof vs_bin);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_writers, .init = setup, .fini = teardown, .timeout = 300);

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static e2e_run vlmindex(const char *cmd, const char *a1, const char *a2)
{
    const char *args[] = {
        cmd, "--collection", ws.coll, "--model", ws.model, a1, a2, NULL};
    return e2e_exec("vlmindex", args);
}

static long long file_count(const char *path, const char *field)
{
    FILE *f = fopen(path, "r");
    char buf[4096] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    return e2e_summary_count(buf, field);
}

/* Every embedding has its model row, the vector index holds them all, and
 * the row count is one of `ok` (0 < n_ok <= 2). */
static int64_t check_consistent(const int64_t *ok, int n_ok)
{
    collection *c;
    vector_index *vi;
    collection_counts k;
    collection_model m;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_counts(c, &k, err), 0, "%s", err);
    int bound = collection_get_model(c, &m, NULL) == VLM_OK;
    cr_assert(k.embeddings == 0 || bound, "%lld embeddings but no model row",
              (long long)k.embeddings);
    cr_assert(k.images == ok[0] || (n_ok > 1 && k.images == ok[1]), "%lld rows",
              (long long)k.images);
    cr_assert_eq(k.embeddings, k.images);
    if (bound) {
        vector_index_info info;
        cr_assert_eq(vector_index_open(c, NULL, &vi, err), 0, "%s", err);
        vector_index_get_info(vi, &info);
        cr_assert_eq(info.ntotal, k.embeddings);
        vector_index_close(vi);
    }
    collection_close(c);
    return k.images;
}

Test(cli_writers, two_adds_creating_one_collection_embed_each_file_once)
{
    /* Before the writer lock both embedded everything, every time. */
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(e2e_sh("rm -rf '%s'", ws.coll), 0);
        cr_assert_eq(
            e2e_sh("cd '%s' && { \"%s\" add -q -C '%s' -M '%s' '%s' > a1 2>&1;"
                   " echo $? > s1; } & cd '%s' && \"%s\" add -q -C '%s' "
                   "-M '%s' '%s' > a2 2>&1; echo $? > s2; wait",
                   ws.root, vi_bin, ws.coll, ws.model, ws.photos, ws.root,
                   vi_bin, ws.coll, ws.model, ws.photos),
            0);
        char p[700];
        snprintf(p, sizeof p, "%s/a1", ws.root);
        long long a1 = file_count(p, "added");
        snprintf(p, sizeof p, "%s/a2", ws.root);
        long long a2 = file_count(p, "added");
        cr_assert_eq(e2e_sh("test \"$(cat '%s/s1' '%s/s2')\" = \"0\n0\"",
                            ws.root, ws.root),
                     0, "round %d: both adds succeed", i);
        cr_assert_eq(a1 + a2, 28, "round %d: added %lld + %lld", i, a1, a2);
        const int64_t ok[] = {28};
        check_consistent(ok, 1);
    }
}

Test(cli_writers, reset_during_add_leaves_a_consistent_collection)
{
    char big[700];
    snprintf(big, sizeof big, "%s/big", ws.root);
    cr_assert_eq(
        e2e_sh("mkdir -p '%s' && for i in $(seq 1 %d); do { cat "
               "'%s/images/edge/large-4000x3000.jpg'; echo \"copy $i\"; } > "
               "'%s'/large-$i.jpg; done",
               big, N_BIG, ws.fixtures, big),
        0);
    const int delays[] = {0, 150, 400, 800, 1500};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(e2e_sh("rm -rf '%s'", ws.coll), 0);
        cr_assert_eq(
            e2e_sh("\"%s\" add -q -b 4 -C '%s' -M '%s' '%s' >/dev/null 2>&1 "
                   "& sleep %d.%03d; \"%s\" reset -q -C '%s' >/dev/null 2>&1;"
                   " wait",
                   vi_bin, ws.coll, ws.model, big, delays[i] / 1000,
                   delays[i] % 1000, vi_bin, ws.coll),
            0);
        /* reset waited for the add (empty), or came first (then the add
         * filled it). */
        struct stat st;
        if (stat(ws.coll, &st) != 0) continue; /* reset before any add */
        const int64_t ok[] = {0, N_BIG};
        check_consistent(ok, 2);
        e2e_run r = vlmindex("add", big, NULL);
        cr_assert_eq(r.status, 0, "round %d: %s", i, r.err);
        e2e_run_free(&r);
        const int64_t full[] = {N_BIG};
        check_consistent(full, 1);
    }
}

/* Holds the writer lock the way another vlmindex would. */
static int hold_lock(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/writer.lock", ws.coll);
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0, "%s", path);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    cr_assert_gt(dprintf(fd, "pid %ld\ntest holder\nsince %lld\n",
                         (long)getpid(), (long long)time(NULL)),
                 0);
    return fd;
}

Test(cli_writers, a_busy_collection_makes_writers_wait_or_fail_fast)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    int fd = hold_lock();
    const char *cmds[] = {"rm", "reset", "repair", "update", "add"};
    for (int i = 0; i < 5; i++) {
        int with_path = !strcmp(cmds[i], "rm") || !strcmp(cmds[i], "add");
        r = vlmindex(cmds[i], "--no-wait", with_path ? ws.photos : NULL);
        cr_assert_eq(r.status, 2, "%s --no-wait: %s", cmds[i], r.err);
        cr_assert(strstr(r.err, "is being changed by pid") &&
                      strstr(r.err, "test holder"),
                  "%s: %s", cmds[i], r.err);
        e2e_run_free(&r);
    }
    const char *cl[] = {"classify", "-C", ws.coll, "-M",        ws.model, "-l",
                        "cat",      "-l", "dog",   "--no-wait", NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 2, "storing classify is a writer: %s", r.err);
    e2e_run_free(&r);
    const char *q[] = {"--collection", ws.coll, "-n", "2", "cat", NULL};
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "searches never take the lock: %s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).images, 28);

    /* Without --no-wait: it says it waits, and runs once the lock is free. */
    char out[700];
    snprintf(out, sizeof out, "%s/rm.err", ws.root);
    int pid = fork();
    if (pid == 0) {
        close(fd);
        _exit(e2e_sh("\"%s\" rm -C '%s' '%s/cat.jpg' > '%s.out' 2> '%s'",
                     vi_bin, ws.coll, ws.photos, out, out));
    }
    int st = 0;
    for (int i = 0; i < 100 && e2e_sh("grep -q waiting '%s' 2>/dev/null", out);
         i++)
        sleep_ms(50);
    cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "it waits for the holder");
    cr_assert_eq(e2e_sh("grep -q 'waiting: collection .* is being changed by "
                        "pid .*test holder' '%s'",
                        out),
                 0);
    close(fd);
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_eq(e2e_counts(ws.coll).images, 27);
}

/* Runs argv (vlmindex / vlmsearch and arguments) as uid 65534 when we are
 * root, else as ourselves. */
static e2e_run as_other_user(const char *const *argv)
{
    if (geteuid() != 0) return e2e_exec_argv(argv);
    const char *v[32] = {"setpriv", "--reuid", "65534",
                         "--regid", "65534",   "--clear-groups"};
    int n = 6;
    for (int i = 0; argv[i] && n < 31; i++) v[n++] = argv[i];
    v[n] = NULL;
    return e2e_exec_argv(v);
}

static int other_user_can_run(void)
{
    return geteuid() != 0 ||
           e2e_sh("setpriv --reuid 65534 --regid 65534 --clear-groups test "
                  "-x '%s' 2>/dev/null",
                  vs_bin) == 0;
}

Test(cli_writers, a_read_only_collection_is_searchable_as_another_user)
{
    if (!other_user_can_run())
        cr_skip_test("uid 65534 cannot run %s (setpriv missing or the build "
                     "folder is private)",
                     vs_bin);
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    /* Readable by all, writable by none; no saved index, so the search
     * rebuilds it in memory and must not try to save it. */
    cr_assert_eq(e2e_sh("rm '%s/vectors.faiss' && chmod -R a+rX '%s' && "
                        "chmod a-w '%s' '%s'/*",
                        ws.coll, ws.root, ws.coll, ws.coll),
                 0);
    const char *q[] = {vs_bin, "--collection", ws.coll, "-n", "3", "cat", NULL};
    r = as_other_user(q);
    cr_assert_eq(r.status, 0, "search a read-only collection: %s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 3, "%s", r.out);
    e2e_run_free(&r);
    const char *st[] = {vi_bin, "status", "--collection", ws.coll, NULL};
    r = as_other_user(st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "read-only"), "%s", r.out);
    e2e_run_free(&r);
    const char *add[] = {vi_bin,    "add",    "--collection", ws.coll,
                         "--model", ws.model, ws.photos,      NULL};
    r = as_other_user(add);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "needs write access"), "%s", r.err);
    e2e_run_free(&r);
    const char *cl[] = {vi_bin, "classify", "-C", ws.coll, "-M", ws.model,
                        "-l",   "cat",      "-l", "dog",   NULL};
    r = as_other_user(cl);
    cr_assert_eq(r.status, 2, "storing needs write access: %s", r.err);
    e2e_run_free(&r);
    const char *cl_ro[] = {vi_bin, "classify", "-C",         ws.coll,
                           "-M",   ws.model,   "-l",         "cat",
                           "-l",   "dog",      "--no-store", NULL};
    r = as_other_user(cl_ro);
    cr_assert_eq(r.status, 0, "--no-store only reads: %s", r.err);
    e2e_run_free(&r);
    struct stat sb;
    char vf[700];
    snprintf(vf, sizeof vf, "%s/vectors.faiss", ws.coll);
    cr_assert_neq(stat(vf, &sb), 0, "nothing was saved");
    cr_assert_eq(e2e_sh("chmod u+w '%s'", ws.coll), 0); /* for cleanup */
}

Test(cli_writers, a_read_only_bind_mount_is_searchable)
{
    if (geteuid() != 0 ||
        e2e_sh("unshare -m sh -c 'mount --bind /tmp /mnt && mount -o "
               "remount,bind,ro /mnt' >/dev/null 2>&1"))
        cr_skip_test("needs root and mount namespaces (unshare -m) for a "
                     "read-only bind mount");
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(
        e2e_sh("mkdir '%s/ro' && cd '%s' && unshare -m sh -c 'mount --bind "
               "\"%s\" ro && mount -o remount,bind,ro ro && "
               "\"%s\" -C ro -n 3 cat > search.out && \"%s\" status -C ro "
               "> status.out && { \"%s\" add -C ro -M \"%s\" \"%s\" "
               "2> add.err; echo $? > add.rc; }'",
               ws.root, ws.root, ws.coll, vs_bin, vi_bin, vi_bin, ws.model,
               ws.photos),
        0);
    cr_assert_eq(e2e_sh("test $(wc -l < '%s/search.out') = 3", ws.root), 0);
    cr_assert_eq(
        e2e_sh("grep -q 'read-only file system' '%s/status.out'", ws.root), 0);
    cr_assert_eq(e2e_sh("test $(cat '%s/add.rc') = 2 && grep -q 'read-only "
                        "file system' '%s/add.err'",
                        ws.root, ws.root),
                 0);
}
