/*
 * decoder_select.h — which LLaVA decoder captions and reranks, and its
 * name (the folder's base name, which keys stored captions).
 *
 * Captions: the session's --model if given, else the captioner the
 * collection recorded last, else an error that points to LLaVA checkpoints
 * (the CLIP model resolution would find cannot caption).  Reranking:
 * --reranker if given, else the collection's captioner.
 */
#ifndef VLM_DECODER_SELECT_H
#define VLM_DECODER_SELECT_H

#include <stdbool.h>

#include "model/llava/llava.h"
#include "session/session.h"

/* The LLaVA checkpoint advice names (about 14 GB in fp16). */
#define DECODER_SUGGESTED "llava-hf/llava-1.5-7b-hf"

typedef struct query_decoder {
    llava_model *model;         /* NULL when only the name is known */
    char dir[SESSION_PATH_MAX]; /* "" when there is none */
    char name[256];             /* keys stored captions; "" when none */
} query_decoder;

/* Resolves and loads the captioner; a session with a collection records
 * it there (meta captioner_dir) for later captions and reranks. */
int decoder_for_captions(session *s, query_decoder *d, char *err);

/* The reranker; load = false only looks up the name, to read the captions
 * stored for it (none when no captioner was recorded).  With load, having
 * no decoder at all is an error that says how to get one. */
int decoder_for_rerank(session *s, const char *reranker, bool load,
                       query_decoder *d, char *err);

void decoder_close(query_decoder *d); /* frees the model, zeroes */

#endif
