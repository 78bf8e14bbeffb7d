/* session/: the writer lock every WRITE and MODIFY session holds (readers
 * never take it), and the root probe that tells offline roots from deleted
 * files. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/session.h"
#include "session/session_roots.h"
#include "tests/common/test_workspace.h"

static test_ws ws;
static char err[VLM_ERR_MAX];

static void setup(void)
{
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    unsetenv("VLMINDEX_COLLECTION");
    err[0] = 0;
}

static void teardown(void) { test_ws_cleanup(&ws); }

TestSuite(session_writers, .init = setup, .fini = teardown);

/* A collection-only session (no model): what the lock is about. */
static session_config config(session_access access)
{
    session_config cfg = session_config_default();
    cfg.collection = ws.coll;
    cfg.access = access;
    cfg.writer = "test writer";
    return cfg;
}

static session *open_ok(const session_config *cfg)
{
    session *s = NULL;
    cr_assert_eq(session_open(cfg, &s, err), VLM_OK, "%s", err);
    return s;
}

Test(session_writers, a_second_writer_is_refused_or_waits)
{
    session_config w = config(SESSION_WRITE);
    session *first = open_ok(&w);

    session_config busy = config(SESSION_MODIFY);
    busy.no_wait = true;
    session *s = NULL;
    cr_assert_eq(session_open(&busy, &s, err), VLM_EBUSY);
    cr_assert_null(s);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld (test writer)", (long)getpid());
    cr_assert(strstr(err, pid), "names the holder: %s", err);

    session_config reader = config(SESSION_READ);
    session *r = open_ok(&reader); /* readers never take the lock */
    session_close(r);

    session_close(first);
    s = open_ok(&busy); /* free again */
    session_close(s);
}

static volatile sig_atomic_t stop_waiting;
static int waited;

static void on_wait(void *user, const char *dir, const char *holder)
{
    (void)user;
    cr_assert_str_eq(dir, ws.coll);
    cr_assert(strstr(holder, "test writer"), "%s", holder);
    waited++;
    stop_waiting = 1; /* like Ctrl-C while waiting */
}

Test(session_writers, waiting_is_announced_and_can_be_cancelled)
{
    session_config w = config(SESSION_WRITE);
    session *first = open_ok(&w);
    session_config second = config(SESSION_WRITE);
    second.lock_waiting = on_wait;
    second.cancel = &stop_waiting;
    session *s = NULL;
    cr_assert_eq(session_open(&second, &s, err), VLM_EINTERRUPTED, "%s", err);
    cr_assert_eq(waited, 1, "announced once");
    session_close(first);
}

Test(session_writers, modify_needs_an_existing_collection)
{
    session_config m = config(SESSION_MODIFY);
    session *s = NULL;
    cr_assert_eq(session_open(&m, &s, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "no collection"), "%s", err);
    struct stat st;
    cr_assert_neq(stat(ws.coll, &st), 0, "nothing was created");
}

Test(session_writers, a_share_on_the_owners_collection_uses_its_lock)
{
    session_config w = config(SESSION_WRITE);
    session *owner = open_ok(&w);
    session_config m = config(SESSION_MODIFY);
    m.no_wait = true;
    session *shared = NULL;
    cr_assert_eq(session_share(owner, &m, &shared, err), VLM_OK, "%s", err);
    session_close(shared);
    /* The owner still holds it. */
    session *s = NULL;
    cr_assert_eq(session_open(&m, &s, err), VLM_EBUSY);
    session_close(owner);
}

/* ---- roots ------------------------------------------------------------ */

static collection *coll;

static void add_row(const char *path, const char *root)
{
    static const float v[4] = {1, 0, 0, 0};
    collection_image_info info = {.path = path, .root = root};
    cr_assert_eq(collection_put_image(coll, &info, v, 4, NULL, err), VLM_OK,
                 "%s", err);
}

static session_root_status probe(const char *root)
{
    session_root_status st;
    cr_assert_eq(session_root_probe(coll, root, &st, err), VLM_OK, "%s", err);
    cr_assert_eq(st.offline, st.state != SESSION_ROOT_ONLINE);
    return st;
}

Test(session_writers, root_probe_tells_offline_from_online)
{
    collection_options co = {.create_if_missing = true};
    cr_assert_eq(collection_open(ws.coll, &co, &coll, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_bind_model(coll, "m", 4, "id", err), VLM_OK);
    char root[700], file[720];
    snprintf(root, sizeof root, "%s/photos", ws.root);
    snprintf(file, sizeof file, "%s/cat.jpg", root);
    struct stat sb;
    cr_assert_eq(stat(root, &sb), 0);

    /* Nothing indexed under it yet: online whatever it looks like. */
    cr_assert_eq(probe(root).state, SESSION_ROOT_ONLINE);
    cr_assert_eq(collection_note_root(coll, root, (uint64_t)sb.st_dev,
                                      COLLECTION_ROOT_DIR, err),
                 VLM_OK);
    add_row(file, root);
    session_root_status st = probe(root);
    cr_assert_eq(st.state, SESSION_ROOT_ONLINE);
    cr_assert_eq(st.kind, COLLECTION_ROOT_DIR);

    /* Recorded on another device, files there: a renumbered disk. */
    cr_assert_eq(collection_note_root(coll, root, (uint64_t)sb.st_dev + 1,
                                      COLLECTION_ROOT_DIR, err),
                 VLM_OK);
    cr_assert_eq(probe(root).state, SESSION_ROOT_ONLINE);
    /* ... and without our files: another disk mounted there. */
    cr_assert_eq(test_sh("mv '%s' '%s.away' && mkdir '%s' && touch "
                         "'%s/other.jpg'",
                         root, root, root, root),
                 0);
    cr_assert_eq(probe(root).state, SESSION_ROOT_OTHER_DEVICE);
    /* Empty: unmounted. */
    cr_assert_eq(test_sh("rm '%s/other.jpg' && touch '%s/.hidden'", root, root),
                 0);
    cr_assert_eq(probe(root).state, SESSION_ROOT_EMPTY);
    /* A file where the folder was. */
    cr_assert_eq(test_sh("rm -r '%s' && touch '%s'", root, root), 0);
    st = probe(root);
    cr_assert_eq(st.state, SESSION_ROOT_CHANGED_KIND);
    cr_assert(strstr(st.reason, "no longer a folder"), "%s", st.reason);
    /* Gone. */
    cr_assert_eq(test_sh("rm '%s'", root), 0);
    st = probe(root);
    cr_assert_eq(st.state, SESSION_ROOT_MISSING);
    cr_assert(strstr(st.reason, "missing"), "%s", st.reason);
    /* Back: online. */
    cr_assert_eq(test_sh("mv '%s.away' '%s'", root, root), 0);
    cr_assert_eq(probe(root).state, SESSION_ROOT_ONLINE);
    collection_close(coll);
}
