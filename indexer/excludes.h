/*
 * excludes.h — what the folder walk skips, and how that sticks.
 *
 * A glob matches an entry when fnmatch() matches its name or its full path
 * (so "raw" skips every folder called raw, "*.tmp" every such file, and
 * "/home/me/Pictures/old" one place).  Under a root the walk skips:
 *   - the built-in defaults (excludes_defaults: NAS and system folders,
 *     dependency and VCS trees, hidden entries), unless turned off for that
 *     root or for all;
 *   - the globs stored in the collection for that root and for all roots
 *     (`vlmindex exclude add`, `add -x GLOB DIR`, and `rm PATH` inside a
 *     root, which stores PATH as a literal glob).
 * Indexed rows that an exclude matches are removed when it is added, and by
 * the next walk of their root.
 */
#ifndef VLM_EXCLUDES_H
#define VLM_EXCLUDES_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/collection.h"
#include "schema/vector_index.h"

/* NULL-terminated: ".*", "@eaDir", "#recycle", "#snapshot", ".Trash-*",
 * "node_modules", ".git". */
extern const char *const excludes_defaults[];

/* The globs that apply under one root. */
typedef struct exclude_set {
    char **globs;
    int n;
} exclude_set;

/* Defaults (unless off), stored globs for `root` and for every root, and
 * `extra` (this run's -x).  Free with exclude_set_free. */
int excludes_for_root(collection *c, const char *root, const char *const *extra,
                      int n_extra, exclude_set *out, char *err);
void exclude_set_free(exclude_set *s);

/* The walk's rule for one entry: a glob matches its name or its path. */
bool excludes_match(const exclude_set *s, const char *name, const char *path);

/* True when path (under root) or any folder between root and it matches. */
bool excludes_match_path(const exclude_set *s, const char *root,
                         const char *path);

/* path as a glob that matches only itself (*, ?, [ and \ escaped);
 * malloc'ed. */
char *excludes_literal(const char *path);

/* The root folder path lies in (the longest), or NULL (malloc'ed). */
char *excludes_root_of(collection *c, const char *path, char *err);

/* `vlmindex exclude add GLOB [--root DIR]`: root NULL = every root.
 * Stores the glob (or turns a default that was off back on) and removes
 * the rows it now excludes (*n_removed). */
int excludes_add(collection *c, vector_index *vi, const char *root,
                 const char *glob, int64_t *n_removed, char *err);

/* `vlmindex exclude rm GLOB [--root DIR]`: forgets a stored glob, or turns
 * a default off for that scope.  VLM_ENOTFOUND when it is neither. */
int excludes_remove(collection *c, const char *root, const char *glob,
                    char *err);

#endif
