/*
 * session_lock.h — one writer at a time per collection.
 *
 * A writer (add, update, rm, reset, repair, classify — any session opened
 * SESSION_WRITE or SESSION_MODIFY) holds an exclusive flock(2) on
 * DIR/writer.lock for as long as its session is open.  A watch (`vlmindex
 * watch`, `serve --watch`) is a writer for as long as it runs: it holds
 * the lock between passes too (its connection and vector index stay
 * open), so other writers wait until it stops, or fail with --no-wait.  Readers (searches,
 * status) never take it: SQLite's WAL lets them read while a writer works.
 * The lock is taken before the database is opened or created, so two
 * writers never create, migrate or bind the same collection at once, and
 * the second of two `add`s of one folder finds the first one's rows.
 *
 * The holder writes "pid N\n<what>\nsince <unix time>\n" into the file so a
 * waiting or refused writer can say who holds it.  The lock goes away with
 * the holder's process (kill -9 included); the file itself stays.
 */
#ifndef VLM_SESSION_LOCK_H
#define VLM_SESSION_LOCK_H

#include <signal.h>
#include <stdbool.h>

#include "model/core/vlm_error.h"

#define SESSION_LOCK_NAME "writer.lock"

typedef struct session_lock session_lock;

typedef struct session_lock_options {
    bool no_wait;                  /* fail with VLM_EBUSY instead of waiting */
    volatile sig_atomic_t *cancel; /* while waiting: stop when set */
    const char *what;              /* written for others, e.g. "vlmindex add" */
    bool private_perms;            /* lock file 0600 (else 0644) */
    /* Called once when the lock is held by another process and this one
     * starts to wait; holder describes it ("pid 123 (vlmindex add) for 5
     * s").  May be NULL. */
    void (*waiting)(void *user, const char *dir, const char *holder);
    void *user;
} session_lock_options;

/* Takes the writer lock of the collection folder `dir` (which must
 * exist).  VLM_EBUSY with no_wait when another process holds it (err names
 * the holder), VLM_EINTERRUPTED when cancelled while waiting,
 * VLM_EREADONLY when the folder cannot be written (err says what needs
 * write access). */
int session_lock_take(const char *dir, const session_lock_options *o,
                      session_lock **out, char *err);

/* Releases the lock (NULL-safe). */
void session_lock_release(session_lock *l);

#endif
