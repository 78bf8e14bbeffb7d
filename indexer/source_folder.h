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

#endif
