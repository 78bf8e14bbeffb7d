/*
 * captions.h — captions written by the LLaVA decoder, stored in SQLite with
 * an FTS5 index (collection_get_caption / collection_match_captions read
 * them back).
 *
 * captions_run() captions the images of a collection (all, a subtree, or
 * only those without a caption for this model + prompt), committing each
 * caption as it is made, so an interrupted run resumes where it stopped.
 */
#ifndef VLM_CAPTIONS_H
#define VLM_CAPTIONS_H

#include <signal.h>
#include <stdint.h>

#include "model/llava/llava.h"
#include "schema/collection.h"

typedef struct captions_options {
    const char *in_dir; /* NULL = whole collection */
    int redo;           /* 1: also images that have a caption */
    const char *prompt; /* NULL = LLAVA_DEFAULT_PROMPT */
    llava_gen_opts gen;
    volatile sig_atomic_t *cancel;
    void (*on_caption)(void *user, int64_t done, int64_t total,
                       const char *path, const char *caption);
    void (*on_failure)(void *user, const char *path, const char *reason);
    void *user;
} captions_options;

typedef struct captions_summary {
    int64_t captioned, skipped, failed;
} captions_summary;

int captions_run(collection *c, llava_model *lm, const char *model_name,
                 const captions_options *o, captions_summary *s, char *err);

/* One image file (any format we index): its caption into *text
 * (malloc'ed), or the decoder's log-probability of `phrase` given it.
 * prompt NULL = LLAVA_DEFAULT_PROMPT. */
int captions_image_file(llava_model *lm, const char *path, const char *prompt,
                        const llava_gen_opts *gen, char **text, char *err);
int captions_score_file(llava_model *lm, const char *path, const char *prompt,
                        const char *phrase, llava_phrase_score *out, char *err);

#endif
