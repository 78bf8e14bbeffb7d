/*
 * hub_download.h — fetching model folders from the Hugging Face hub.
 *
 * Files are fetched from {endpoint}/{repo_id}/resolve/{revision}/{filename}
 * into DEST/.partial/{filename}.part, resumed with HTTP Range requests when a
 * .part is already there, checked against the size the server announces and,
 * when the server names one (X-Linked-Etag / ETag holding 64 hex digits, as
 * the hub does for LFS files), against the SHA-256; only then renamed
 * atomically to DEST/{filename}.  A file already present in DEST is kept as
 * is (delete it to refetch).  TLS peer and host verification are always on.
 *
 * Library code: nothing is printed; progress goes to the callback.
 */
#ifndef VLM_HUB_DOWNLOAD_H
#define VLM_HUB_DOWNLOAD_H

#include <stdint.h>

#include "model/core/vlm_error.h"

#define HUB_DEFAULT_ENDPOINT "https://huggingface.co"

/* Called during transfers.  bytes_total is 0 while unknown.  `file` is the
 * repo-relative name.  Return nonzero to cancel (-> VLM_EINTERRUPTED). */
typedef int (*hub_progress_fn)(void *user, uint64_t bytes_done,
                               uint64_t bytes_total, const char *file);

typedef struct hub_options {
    const char *endpoint; /* NULL: $HF_ENDPOINT, else HUB_DEFAULT_ENDPOINT */
    const char *token;    /* NULL: $HF_TOKEN (sent as a Bearer token) */
    int offline;          /* nonzero, or $HF_HUB_OFFLINE=1: no network */
    hub_progress_fn progress; /* may be NULL */
    void *progress_user;
    long connect_timeout_s; /* 0: 30 s */
    long
        stall_timeout_s; /* abort when no byte arrives for this long; 0: 60 s */
} hub_options;

typedef struct hub_file {
    const char *name; /* repo-relative, e.g. "config.json" */
    int optional;     /* a 404 on an optional file is not an error */
} hub_file;

/* Downloads `files` of `repo_id` at `revision` (NULL: "main") into
 * `dest_dir` (created if needed).  Optional files the repo lacks are skipped.
 * Offline, succeeds only when every required file is already in dest_dir. */
int hub_download_repo(const char *repo_id, const char *revision,
                      const char *dest_dir, const hub_file *files, int n_files,
                      const hub_options *opt, char *err);

/* Downloads a model folder: config.json, preprocessor_config.json, the
 * weights (model.safetensors, or model.safetensors.index.json plus every
 * shard it names) and whichever tokenizer files exist (vocab.json,
 * merges.txt, tokenizer.json, tokenizer.model, spiece.model, vocab.txt,
 * tokenizer_config.json, special_tokens_map.json).  Fails when no tokenizer
 * file exists, and with VLM_ENOTFOUND and advice when the revision has no
 * safetensors weights (pickled PyTorch files are never fetched). */
int hub_download_model(const char *repo_id, const char *revision,
                       const char *dest_dir, const hub_options *opt, char *err);

#endif
