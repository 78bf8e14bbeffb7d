/* End-to-end: what users meet in the field.  Roots that go offline (moved
 * away, replaced by an empty folder or an empty mount) keep their rows; a
 * 3,000-level tree is walked and every skipped entry reported; stored sizes
 * are the images' own on the JPEG fast path; the summary counts only rows
 * that were saved when the disk fills up; label sets are stored once. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;
static char vi_bin[1024], vs_bin[1024];

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    e2e_bin("vlmindex", vi_bin, sizeof vi_bin);
    e2e_bin("vlmsearch", vs_bin, sizeof vs_bin);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_field, .init = setup, .fini = teardown, .timeout = 240);

/* vlmindex CMD --collection COLL --model MODEL [a1 [a2]] */
static e2e_run vlmindex(const char *cmd, const char *a1, const char *a2)
{
    const char *args[] = {
        cmd, "--collection", ws.coll, "--model", ws.model, a1, a2, NULL};
    return e2e_exec("vlmindex", args);
}

static e2e_run search_jsonl(const char *n)
{
    const char *args[] = {"--collection", ws.coll, "-f",  "jsonl",
                          "-n",           n,       "cat", NULL};
    return e2e_exec("vlmsearch", args);
}

static void add_ok(const char *path, long long added)
{
    e2e_run r = vlmindex("add", path, NULL);
    cr_assert_eq(r.status, 0, "add %s: %s", path, r.err);
    if (added >= 0)
        cr_assert_eq(e2e_summary_count(r.out, "added"), added, "%s", r.out);
    e2e_run_free(&r);
}

static int count_substr(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static e2e_run status(void)
{
    const char *args[] = {"status", "--collection", ws.coll, NULL};
    return e2e_exec("vlmindex", args);
}

/* ---- offline roots ------------------------------------------------------ */

/* An update while the root is offline keeps every row, says so, and
 * searches flag the results. */
static void expect_offline_update(const char *why)
{
    e2e_run r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 0, "%s", r.out);
    cr_assert_eq(e2e_summary_count(r.out, "offline roots"), 1, "%s", r.out);
    cr_assert(strstr(r.err, "offline root") && strstr(r.err, ws.photos) &&
                  strstr(r.err, why) && strstr(r.err, "28 images are kept"),
              "the offline root is reported: %s", r.err);
    e2e_run_free(&r);
    collection_counts k = e2e_counts(ws.coll);
    cr_assert_eq(k.images, 28, "rows of an offline root are kept");
    cr_assert_eq(k.embeddings, 28);
    r = status();
    cr_assert(strstr(r.out, "OFFLINE") && strstr(r.out, why), "%s", r.out);
    e2e_run_free(&r);
    r = search_jsonl("3");
    cr_assert_eq(r.status, 0, "searches still find them: %s", r.err);
    cr_assert_eq(count_substr(r.out, "\"offline\":true"), 3, "%s", r.out);
    e2e_run_free(&r);
}

static void expect_online_again(void)
{
    e2e_run r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "unchanged"), 28, "%s", r.out);
    cr_assert_null(strstr(r.out, "offline"), "%s", r.out);
    e2e_run_free(&r);
    r = search_jsonl("3");
    cr_assert_null(strstr(r.out, "offline"), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_field, root_moved_away_is_offline_and_kept)
{
    add_ok(ws.photos, 28);
    cr_assert_eq(e2e_sh("mv '%s' '%s.away'", ws.photos, ws.photos), 0);
    expect_offline_update("missing");
    /* Plain search output says it on stderr (stdout stays paths). */
    const char *args[] = {"--collection", ws.coll, "cat", NULL};
    e2e_run r = e2e_exec("vlmsearch", args);
    cr_assert(strstr(r.err, "offline root"), "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(e2e_sh("mv '%s.away' '%s'", ws.photos, ws.photos), 0);
    expect_online_again();
}

Test(cli_field, root_replaced_by_an_empty_folder_is_kept_until_pruned)
{
    add_ok(ws.photos, 28);
    cr_assert_eq(e2e_sh("mv '%s' '%s.away' && mkdir '%s'", ws.photos, ws.photos,
                        ws.photos),
                 0);
    expect_offline_update("empty");
    e2e_run r = vlmindex("update", "--prune-offline", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 28, "%s", r.out);
    cr_assert(strstr(r.err, "forgotten"), "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).images, 0);
    cr_assert_eq(e2e_counts(ws.coll).roots, 0, "the root is forgotten too");
}

Test(cli_field, rm_forgets_an_offline_root_and_vanished_files_still_go)
{
    add_ok(ws.photos, 28);
    cr_assert_eq(e2e_sh("rm '%s/cat.jpg'", ws.photos), 0);
    e2e_run r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 1,
                 "a file that vanished inside a present root goes: %s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(e2e_sh("mv '%s' '%s.away'", ws.photos, ws.photos), 0);
    r = vlmindex("rm", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "removed 27"), "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).images, 0);
}

/* root only: a mount namespace of our own, so nothing outlives the test. */
static int can_mount(void)
{
    return geteuid() == 0 &&
           e2e_sh("unshare -m sh -c 'mount -t tmpfs tmpfs /mnt' "
                  ">/dev/null 2>&1") == 0;
}

Test(cli_field, root_under_an_empty_mount_is_offline)
{
    if (!can_mount())
        cr_skip_test("needs root and mount namespaces (unshare -m) to mount "
                     "an empty file system over the root");
    add_ok(ws.photos, 28);
    /* An empty tmpfs over the root (an unplugged disk's mount point), then
     * a file on it that is none of ours (another disk mounted there). */
    cr_assert_eq(
        e2e_sh("unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs \"%s\" && "
               "\"%s\" update -C \"%s\" -M \"%s\" >\"%s/u1.out\" "
               "2>\"%s/u1.err\" && echo x > \"%s/other.txt\" && "
               "\"%s\" update -C \"%s\" -M \"%s\" >\"%s/u2.out\" "
               "2>\"%s/u2.err\"'",
               ws.photos, vi_bin, ws.coll, ws.model, ws.root, ws.root,
               ws.photos, vi_bin, ws.coll, ws.model, ws.root, ws.root),
        0);
    cr_assert_eq(e2e_sh("grep -q 'removed 0' '%s/u1.out' && grep -q "
                        "'offline roots 1' '%s/u1.out' && grep -q empty "
                        "'%s/u1.err'",
                        ws.root, ws.root, ws.root),
                 0, "an empty mount is offline");
    cr_assert_eq(e2e_sh("grep -q 'removed 0' '%s/u2.out' && grep -q "
                        "'another device' '%s/u2.err'",
                        ws.root, ws.root),
                 0, "another device without our files is offline");
    cr_assert_eq(e2e_counts(ws.coll).images, 28);
    expect_online_again(); /* the namespace and its mount are gone */
}

/* A file added alone (not a root): gone from an online folder, update
 * forgets it; its folder gone too (an unplugged disk), it is kept as
 * offline until pruned. */
Test(cli_field, a_file_added_alone_is_kept_while_its_folder_is_offline)
{
    char dir[700], file[800], other[800];
    snprintf(dir, sizeof dir, "%s/usb", ws.root);
    snprintf(file, sizeof file, "%s/cat.jpg", dir);
    snprintf(other, sizeof other, "%s/bee.jpg", dir);
    cr_assert_eq(e2e_sh("mkdir '%s' && cp '%s/cat.jpg' '%s/bee.jpg' '%s/'", dir,
                        ws.photos, ws.photos, dir),
                 0);
    add_ok(file, 1);
    add_ok(other, 1);
    cr_assert_eq(e2e_sh("rm '%s'", other), 0);
    e2e_run r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 1, "%s", r.out);
    cr_assert_eq(e2e_summary_count(r.out, "unchanged"), 1, "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(e2e_sh("mv '%s' '%s.away'", dir, dir), 0);
    r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 0, "%s", r.out);
    cr_assert_eq(e2e_summary_count(r.out, "offline roots"), 1, "%s", r.out);
    cr_assert(strstr(r.err, "offline root") && strstr(r.err, file), "%s",
              r.err);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).images, 1, "its row is kept");
    r = vlmindex("update", "--prune-offline", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "removed"), 1, "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).images, 0);
}

/* ---- the walk ------------------------------------------------------------ */

/* Writes the bytes of a fixture photo plus a unique trailer (new content
 * hash, same picture) as `name` in the folder fd. */
static void put_image(int dirfd, const char *name, int tag)
{
    char src[1024];
    snprintf(src, sizeof src, "%s/cat.jpg", ws.photos);
    FILE *in = fopen(src, "rb");
    cr_assert_not_null(in);
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(write(fd, buf, n), (ssize_t)n);
    dprintf(fd, "tag %d\n", tag);
    close(fd);
    fclose(in);
}

/* DIR/d/d/.../d, `levels` deep (openat: no path ever gets long here), an
 * image at each of the levels in at[]. */
static void deep_tree(const char *dir, int levels, const int *at, int n_at)
{
    cr_assert_eq(mkdir(dir, 0755), 0);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    for (int i = 1; i <= levels && fd >= 0; i++) {
        cr_assert_eq(mkdirat(fd, "d", 0755), 0, "level %d", i);
        int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = sub;
        for (int k = 0; k < n_at; k++)
            if (at[k] == i) put_image(fd, "img.jpg", i);
    }
    cr_assert_geq(fd, 0);
    close(fd);
}

Test(cli_field, a_3000_level_tree_is_walked_and_skips_are_reported)
{
    char deep[700];
    snprintf(deep, sizeof deep, "%s/deep", ws.root);
    /* Level 2900 lies past PATH_MAX: reported once, where the path first
     * gets too long, and not walked. */
    const int at[] = {10, 1000, 1900, 2900};
    deep_tree(deep, 3000, at, 4);
    cr_assert_eq(e2e_sh("ln -s /nonexistent-vlm-target '%s/gone.jpg'", deep),
                 0);
    e2e_run r = vlmindex("add", deep, NULL);
    cr_assert_eq(r.status, 0, "no crash (status %d): %.300s", r.status, r.err);
    cr_assert_eq(e2e_summary_count(r.out, "added"), 3, "%s", r.out);
    cr_assert_eq(e2e_summary_count(r.out, "skipped"), 2, "%s", r.out);
    cr_assert(strstr(r.err, "path longer than PATH_MAX"), "%.300s", r.err);
    cr_assert(strstr(r.err, "gone.jpg: dangling symbolic link"), "%.300s",
              r.err);
    e2e_run_free(&r);
}

/* As a user the permission bits apply to: uid 65534 when we are root. */
static int nobody_can_run(void)
{
    return geteuid() != 0 ||
           e2e_sh("setpriv --reuid 65534 --regid 65534 --clear-groups test "
                  "-x '%s' 2>/dev/null",
                  vi_bin) == 0;
}

Test(cli_field, permission_denied_is_reported_and_counted)
{
    if (!nobody_can_run())
        cr_skip_test("uid 65534 cannot run %s (setpriv missing or the build "
                     "folder is private)",
                     vi_bin);
    char tree[700], coll[700];
    snprintf(tree, sizeof tree, "%s/perm", ws.root);
    snprintf(coll, sizeof coll, "%s/permcoll", ws.root);
    cr_assert_eq(e2e_sh("mkdir -p '%s/locked' '%s' && cp '%s/cat.jpg' '%s/' "
                        "&& cp '%s/bee.jpg' '%s/locked/' && chmod 755 '%s'",
                        tree, coll, ws.photos, tree, ws.photos, tree, ws.root),
                 0);
    if (geteuid() == 0)
        cr_assert_eq(e2e_sh("chown -R 65534:65534 '%s' '%s'", tree, coll), 0);
    cr_assert_eq(e2e_sh("chmod 000 '%s/locked'", tree), 0);
    const char *argv[] = {geteuid() == 0 ? "setpriv" : vi_bin,
                          "--reuid",
                          "65534",
                          "--regid",
                          "65534",
                          "--clear-groups",
                          vi_bin,
                          "add",
                          "--collection",
                          coll,
                          "--model",
                          ws.model,
                          tree,
                          NULL};
    e2e_run r = e2e_exec_argv(geteuid() == 0 ? argv : argv + 6);
    e2e_sh("chmod 755 '%s/locked'", tree);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "added"), 1, "%s", r.out);
    cr_assert_eq(e2e_summary_count(r.out, "skipped"), 1, "%s", r.out);
    cr_assert(strstr(r.err, "locked: Permission denied"), "%s", r.err);
    e2e_run_free(&r);
}

/* ---- truthful records ----------------------------------------------------- */

/* "width":W,"height":H of the jsonl line whose path ends in `name`. */
static void size_of(const char *jsonl, const char *name, int *w, int *h)
{
    char key[300];
    snprintf(key, sizeof key, "/%s\"", name);
    const char *p = strstr(jsonl, key);
    cr_assert_not_null(p, "%s not in:\n%s", name, jsonl);
    p = strstr(p, "\"width\":");
    cr_assert_not_null(p);
    cr_assert_eq(sscanf(p, "\"width\":%d,\"height\":%d", w, h), 2);
}

Test(cli_field, stored_size_is_the_images_own_on_the_fast_path)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/sizes", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && cd '%s/images/edge' && cp "
                        "large-4000x3000.jpg exif-orientation-1.jpg "
                        "exif-orientation-6.jpg '%s/'",
                        dir, ws.fixtures, dir),
                 0);
    add_ok(dir, 3);
    /* The same bytes again: copied from the row, never decoded. */
    cr_assert_eq(
        e2e_sh("cp '%s/large-4000x3000.jpg' '%s/same-bytes.jpg'", dir, dir), 0);
    e2e_run r = vlmindex("add", dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_summary_count(r.out, "copied"), 1, "%s", r.out);
    e2e_run_free(&r);
    r = search_jsonl("10");
    int w, h, w1, h1, w6, h6;
    size_of(r.out, "large-4000x3000.jpg", &w, &h);
    cr_assert(w == 4000 && h == 3000, "fast path stored %dx%d", w, h);
    size_of(r.out, "same-bytes.jpg", &w, &h);
    cr_assert(w == 4000 && h == 3000, "a copy (never decoded) %dx%d", w, h);
    size_of(r.out, "exif-orientation-1.jpg", &w1, &h1);
    size_of(r.out, "exif-orientation-6.jpg", &w6, &h6);
    cr_assert(w1 == w6 && h1 == h6, "upright size: %dx%d vs %dx%d", w1, h1, w6,
              h6);
    e2e_run_free(&r);
    const char *csv[] = {"--collection", ws.coll, "-f", "csv", "cat", NULL};
    r = e2e_exec("vlmsearch", csv);
    cr_assert(strstr(r.out, "large-4000x3000.jpg,") &&
                  strstr(r.out, ",4000,3000\n"),
              "%s", r.out);
    e2e_run_free(&r);
}

/* "images:     N indexed" of `vlmindex status`. */
static long long indexed(const char *status_out)
{
    const char *p = strstr(status_out, "images:");
    return p ? strtoll(p + strlen("images:"), NULL, 10) : -1;
}

static char *read_text(const char *dir, const char *name)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The summary of a run that ran out of space counts exactly the rows that
 * were saved, whether it failed on the first batch or a later one.  DIR
 * holds the outputs of status before, add, status after. */
static void check_honest(const char *dir, int limit, int *failed)
{
    char *before = read_text(dir, "before.out"),
         *add = read_text(dir, "add.out"), *after = read_text(dir, "after.out");
    long long saved = indexed(after) - indexed(before);
    long long said =
        e2e_summary_count(add, "added") + e2e_summary_count(add, "copied");
    cr_assert_eq(said, saved,
                 "limit %d: the summary says\n%s\nbut %lld rows "
                 "were saved",
                 limit, add, saved);
    *failed += strstr(add, "error:") != NULL;
    free(before);
    free(add);
    free(after);
}

Test(cli_field, file_size_limit_summary_counts_only_saved_rows)
{
    /* No root needed: RLIMIT_FSIZE makes SQLite's writes fail part way,
     * like a full disk. */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/limited", ws.root);
    const int blocks[] = {100, 600}; /* of 512 bytes (sh's ulimit -f) */
    int failed = 0;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(
            e2e_sh("rm -rf '%s' && mkdir '%s' && \"%s\" add -C '%s/c' -M '%s' "
                   "'%s/cat.jpg' >/dev/null && \"%s\" status -C '%s/c' > "
                   "'%s/before.out' && sh -c \"trap '' XFSZ; ulimit -f %d; "
                   "exec '%s' add -b 4 -C '%s/c' -M '%s' '%s'\" > "
                   "'%s/add.out' 2>&1; \"%s\" status -C '%s/c' > "
                   "'%s/after.out'",
                   dir, dir, vi_bin, dir, ws.model, ws.photos, vi_bin, dir, dir,
                   blocks[i], vi_bin, dir, ws.model, ws.photos, dir, vi_bin,
                   dir, dir),
            0);
        check_honest(dir, blocks[i], &failed);
    }
    cr_assert_eq(failed, 2, "both runs hit the limit");
}

Test(cli_field, disk_full_summary_counts_only_saved_rows)
{
    if (!can_mount())
        cr_skip_test("needs root and mount namespaces (unshare -m) for a "
                     "small tmpfs");
    char dir[700], out[720];
    snprintf(dir, sizeof dir, "%s/full", ws.root);
    snprintf(out, sizeof out, "%s/full-out", ws.root);
    const int leave[] = {48, 96, 200}; /* KiB left free */
    int failed = 0;
    cr_assert_eq(e2e_sh("mkdir '%s' '%s'", dir, out), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(
            e2e_sh("unshare -m sh -c '"
                   "mount -t tmpfs -o size=2m tmpfs \"%s\" && "
                   "\"%s\" add -C \"%s/c\" -M \"%s\" \"%s/cat.jpg\" "
                   ">/dev/null && \"%s\" status -C \"%s/c\" > "
                   "\"%s/before.out\" && "
                   "{ dd if=/dev/zero of=\"%s/fill\" bs=4k 2>/dev/null; "
                   "truncate -s -%dK \"%s/fill\"; } && "
                   "{ \"%s\" add -b 4 -C \"%s/c\" -M \"%s\" \"%s\" "
                   "> \"%s/add.out\" 2>&1; rm \"%s/fill\"; } && "
                   "\"%s\" status -C \"%s/c\" > \"%s/after.out\"'",
                   dir, vi_bin, dir, ws.model, ws.photos, vi_bin, dir, out, dir,
                   leave[i], dir, vi_bin, dir, ws.model, ws.photos, out, dir,
                   vi_bin, dir, out),
            0, "tmpfs run (leave %d KiB)", leave[i]);
        check_honest(out, leave[i], &failed);
    }
    cr_assert_geq(failed, 1, "at least one run filled the disk");
    /* Not a byte left (not even for SQLite's WAL index): searches still
     * work, read-only, and say why. */
    cr_assert_eq(
        e2e_sh("unshare -m sh -c 'mount -t tmpfs -o size=2m tmpfs \"%s\" && "
               "\"%s\" add -C \"%s/c\" -M \"%s\" \"%s/cat.jpg\" "
               ">/dev/null && { dd if=/dev/zero of=\"%s/fill\" bs=4k "
               "2>/dev/null; true; } && \"%s\" -C \"%s/c\" cat > "
               "\"%s/search.out\" && \"%s\" status -C \"%s/c\" > "
               "\"%s/status.out\"'",
               dir, vi_bin, dir, ws.model, ws.photos, dir, vs_bin, dir, out,
               vi_bin, dir, out),
        0, "search and status on a full disk");
    cr_assert_eq(e2e_sh("grep -q cat.jpg '%s/search.out' && grep -q 'disk "
                        "holding .* is full' '%s/status.out'",
                        out, out),
                 0);
}

static long long db_bytes(void)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", ws.coll, COLLECTION_DB_NAME);
    cr_assert_eq(stat(path, &st), 0);
    return (long long)st.st_size;
}

Test(cli_field, a_label_set_is_stored_once)
{
    add_ok(ws.photos, 28);
    char labels[700];
    snprintf(labels, sizeof labels, "%s/labels.txt", ws.root);
    FILE *f = fopen(labels, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 300; i++)
        fprintf(f,
                "label number %d of a long label set, long enough that "
                "copying it into every row would show\n",
                i);
    fclose(f);
    long long before = db_bytes();
    const char *args[] = {"classify", "--collection", ws.coll,
                          "--labels", labels,         NULL};
    for (int run = 0; run < 2; run++) {
        e2e_run r = e2e_exec("vlmindex", args);
        cr_assert_eq(r.status, 0, "%s", r.err);
        e2e_run_free(&r);
    }
    cr_assert_eq(e2e_counts(ws.coll).classifications, 28);
    /* Copied into every row, the 29 KB label list alone would take 800 KB
     * here; stored once, it is 29 KB next to 28 x 1.2 KB of float32
     * probabilities (a second run replaces the rows). */
    long long grown = db_bytes() - before;
    cr_assert_lt(grown, 256 * 1024, "the database grew by %lld bytes", grown);
}
