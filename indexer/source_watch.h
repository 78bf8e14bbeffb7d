/*
 * source_watch.h — a watch as one long-running ingest source (see
 * indexer/watch.h for what it does).
 *
 * next() blocks while nothing changed, and asks the writer to commit
 * (INGEST_FLUSH) before it blocks, so every pass is committed as soon as
 * it is done.  Each pass is a folder_source_create_scan() over the dirty
 * paths; the watch forwards its items, retries and releases.  next()
 * returns INGEST_END once o->cancel is set.
 */
#ifndef VLM_SOURCE_WATCH_H
#define VLM_SOURCE_WATCH_H

#include "indexer/ingest.h"
#include "indexer/watch.h"

/* w and o must outlive the source. */
int watch_source_create(const watch_options *w, const indexer_options *o,
                        ingest_source *out, char *err);

#endif
