/*
 * e2e_util.h — helpers for end-to-end tests that drive the real CLIs:
 * temporary workspaces, a hub-layout model folder assembled from the
 * fixtures, and running a command with its output captured.
 */
#ifndef VLM_E2E_UTIL_H
#define VLM_E2E_UTIL_H

#include <stddef.h>

#include "schema/collection.h"
#include "tests/common/test_workspace.h"

/* root, model, coll, photos, fixtures: see tests/common/test_workspace.h */
typedef test_ws e2e_ws;

/* Skips the current Criterion test (with a message) when the fixtures are
 * absent.  model_name: a fixture folder such as "clip-tiny-quickgelu-f32". */
void e2e_ws_init(e2e_ws *ws, const char *model_name);
void e2e_ws_cleanup(e2e_ws *ws);

typedef struct e2e_run {
    int status; /* exit code, or 128+signal */
    char *out;  /* captured stdout (NUL-terminated; may contain NULs) */
    size_t out_len;
    char *err; /* captured stderr */
} e2e_run;

/* Runs build/bin/<prog> with the NULL-terminated argv (without argv[0]). */
e2e_run e2e_exec(const char *prog, const char *const *args);
void e2e_run_free(e2e_run *r);

/* Runs argv[0] (searched in $PATH) with argv, output captured: for
 * wrappers such as setpriv or unshare around build/bin/<prog>. */
e2e_run e2e_exec_argv(const char *const *argv);

/* build/bin/<prog> into out[n]. */
void e2e_bin(const char *prog, char *out, size_t n);

/* The number after `field` ("added", "removed", ...) in a summary line,
 * or -1 if absent. */
long long e2e_summary_count(const char *out, const char *field);

/* Starts build/bin/<prog> in the background; returns its pid. Output goes
 * to /dev/null. */
int e2e_spawn(const char *prog, const char *const *args);

/* Shell helper: runs `sh -c cmd`, returns its exit status. */
int e2e_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Counts of the collection in `coll` (asserts it opens). */
collection_counts e2e_counts(const char *coll);

/* Number of '\n'-terminated lines in s. */
int e2e_count_lines(const char *s);

#endif
