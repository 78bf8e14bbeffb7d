/*
 * session_roots.h — is a root of the collection online, or offline?
 *
 * A root (a folder or file given to `vlmindex add`) is offline when it is
 * missing, unreadable, no longer what it was (a folder / a file), or looks
 * unmounted: it is empty while the collection holds images under it, or
 * it is on another device than when last seen and none of its indexed
 * files are there.  An offline root's rows are kept — searches still find
 * them, flagged — until the user forgets them (`vlmindex rm ROOT`, `update
 * --prune-offline`).  Only files that vanish inside an online root are
 * removed.  The indexer, `status`, searches and the server ask here.
 *
 * The probe touches the file system (stat, one readdir, a few stats of
 * indexed files) and reads the collection; it never writes.
 */
#ifndef VLM_SESSION_ROOTS_H
#define VLM_SESSION_ROOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/collection.h"

typedef enum session_root_state {
    SESSION_ROOT_ONLINE = 0,
    SESSION_ROOT_MISSING,      /* no such file or folder */
    SESSION_ROOT_UNREADABLE,   /* there, but cannot be read */
    SESSION_ROOT_CHANGED_KIND, /* was a folder and is not (or a file) */
    SESSION_ROOT_EMPTY,        /* empty folder, images indexed under it */
    SESSION_ROOT_OTHER_DEVICE, /* another device, none of its files there */
} session_root_state;

typedef struct session_root_status {
    session_root_state state;
    bool offline;     /* state != SESSION_ROOT_ONLINE */
    int kind;         /* what it is now: COLLECTION_ROOT_DIR / _FILE, or
                         COLLECTION_ROOT_UNKNOWN when offline */
    uint64_t dev;     /* st_dev now, when it exists */
    char reason[160]; /* why it is offline, for people; "" when online */
} session_root_status;

/* Probes `root` (absolute, as recorded) against what the collection
 * recorded for it (a path that is not a recorded root is judged by the
 * file system and the rows under it alone).  Returns VLM_OK with *out
 * filled whatever the verdict, or an error reading the collection. */
int session_root_probe(collection *c, const char *root,
                       session_root_status *out, char *err);

#endif
