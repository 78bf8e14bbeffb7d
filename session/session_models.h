/*
 * session_models.h — where checkpoints live and which one a command uses.
 *
 * Installed models sit in the models folder ($XDG_DATA_HOME/vlmindex/models
 * or ~/.local/share/vlmindex/models), one folder per hub repo with '/'
 * written as "--" (the hub cache's naming): laion/CLIP-ViT-B-32 ->
 * MODELS/laion--CLIP-ViT-B-32.
 *
 * A CLIP model is resolved in this order:
 *   1. the name the user gave (--model): a checkpoint folder, or a repo
 *      name installed in the models folder — not found is an error;
 *   2. a collection built with a model: the folder it recorded (meta
 *      model_dir), else that model installed under its hub name, else
 *      $VLMINDEX_MODEL; else an error naming the collection's model (never
 *      the default, which the collection would refuse);
 *   3. $VLMINDEX_MODEL (a folder or an installed name);
 *   4. the installed default model (SESSION_DEFAULT_MODEL);
 *   5. when `fetch_default` is set and not offline: download the default.
 * A model counts as installed once its folder holds config.json: downloads
 * go to MODELS/.org--name.partial and are renamed when complete.
 */
#ifndef VLM_SESSION_MODELS_H
#define VLM_SESSION_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"
#include "schema/collection.h"

#define SESSION_DEFAULT_MODEL "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
#define SESSION_PATH_MAX      4096

/* Told before anything is downloaded, and during the download. */
typedef struct session_fetch_hooks {
    /* The default model is about to be downloaded (nothing installed). */
    void (*announce)(void *user, const char *repo);
    /* Bytes of `file` so far; return non-zero to cancel. */
    int (*progress)(void *user, uint64_t done, uint64_t total,
                    const char *file);
    void *user;
} session_fetch_hooks;

/* What resolution looks at (a subset of session_config). */
typedef struct session_model_query {
    const char *model;  /* the user's --model DIR|NAME, or NULL */
    collection *c;      /* for the folder it was built with, or NULL */
    bool fetch_default; /* download the default when nothing is found */
    bool offline;       /* never download */
    const session_fetch_hooks *fetch; /* may be NULL */
} session_model_query;

/* The models folder (not created). */
void session_models_dir(char *buf, size_t n);

/* The folder an installed repo `name` lives in (whether or not it exists). */
void session_installed_path(const char *name, char *buf, size_t n);

/* Calls cb(ud, name, dir) for every installed model (a folder of the
 * models folder holding config.json; name is the repo id, "org/name");
 * returns how many. */
int session_list_models(void (*cb)(void *ud, const char *name, const char *dir),
                        void *ud);

/* A checkpoint folder for `name_or_dir` (an existing folder, made absolute,
 * or an installed name) into dir; false when it names nothing. */
bool session_find_model(const char *name_or_dir, char *dir, size_t n);

/* The CLIP checkpoint folder, in the order above.  VLM_ENOTFOUND with
 * advice when nothing is found. */
int session_resolve_model(const session_model_query *q, char *dir, size_t n,
                          char *err);

/* Downloads hub repo `name` (revision NULL = main) into the models folder;
 * dir receives the installed folder. */
int session_pull_model(const char *name, const char *revision, bool offline,
                       const session_fetch_hooks *fetch, char *dir, size_t n,
                       char *err);

#endif
