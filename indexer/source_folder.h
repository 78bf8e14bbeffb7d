/*
 * source_folder.h — folders and files on disk as an ingest source.
 *
 * start(): records the paths as roots (absolute; a missing one is an
 * error) and walks them; a file whose row has the same size and mtime
 * (and an embedding or a recorded failure) is unchanged and costs one
 * lookup.  The rest goes to the decode pool, which reads, hashes and
 * decodes in threads; bytes already embedded skip decoding and come back
 * as REUSE items (moved or duplicate files).  Once every file is written,
 * rows under the roots whose file vanished come back as DELETE items.
 */
#ifndef VLM_SOURCE_FOLDER_H
#define VLM_SOURCE_FOLDER_H

#include "indexer/ingest.h"

/* roots: folders or files (copied).  o
 * (excludes, decode threads, exact decode, pixel limit, DICOM window,
 * batch size) must outlive the source. */
int folder_source_create(const char *const *roots, int n_roots,
                         const indexer_options *o, ingest_source *out,
                         char *err);

/* One pass of a watch: subtrees (folders or files) of known roots, walked
 * and compared as above but not recorded as roots; a subtree that no
 * longer exists is walked as empty, so its rows come back as DELETE items.
 * The excludes of each path's root apply (a path inside an excluded folder
 * is not walked, so its rows go, as `update` drops them).
 * Files modified less than settle_ns ago (still being written) are left
 * alone — not read, not deleted — and on_unsettled hears of each, so the
 * caller can look again later. */
typedef struct folder_scan {
    const char *const *paths; /* absolute, normalised */
    const char *const *roots; /* the root each path lies under */
    int n;
    int64_t settle_ns;
    void (*on_unsettled)(void *user, const char *path);
    void *user;
} folder_scan;

/* scan is copied; o must outlive the source. */
int folder_source_create_scan(const folder_scan *scan, const indexer_options *o,
                              ingest_source *out, char *err);

#endif
