/*
 * hub_fetch.h — one resumable, verified HTTP download (internal to the
 * weights room; the public entry points are in hub_download.h).
 */
#ifndef VLM_HUB_FETCH_H
#define VLM_HUB_FETCH_H

#include <curl/curl.h>

#include "model/weights/hub_download.h"

typedef struct hub_fetch_req {
    const char *url;
    const char *name;       /* repo-relative name, for messages and progress */
    const char *part_path;  /* DEST/.partial/NAME.part */
    const char *final_path; /* DEST/NAME */
    const char *token;      /* NULL or "" for none */
    const hub_options *opt; /* progress callback and timeouts */
} hub_fetch_req;

/* Fetches r->url into r->final_path (see hub_download.h for the protocol).
 * Returns VLM_ENOTFOUND on HTTP 404, leaving no file behind. */
int hub_fetch_file(CURL *curl, const hub_fetch_req *r, char *err);

/* mkdir -p of the folder that will hold `path`. */
int hub_make_parent_dirs(const char *path, char *err);

#endif
