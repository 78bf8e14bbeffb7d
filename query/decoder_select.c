#include "query/decoder_select.h"

#include <stdio.h>
#include <string.h>

static void set_name(query_decoder *d)
{
    const char *base = strrchr(d->dir, '/');
    /* a folder name is at most NAME_MAX (255) bytes */
    snprintf(d->name, sizeof d->name, "%.255s", base ? base + 1 : d->dir);
}

/* The captioner the collection recorded; false when none. */
static bool recorded_captioner(session *s, char *dir, size_t n)
{
    collection *c = session_collection(s);
    return c && collection_meta_get(c, "captioner_dir", dir, n, NULL) == VLM_OK;
}

int decoder_for_captions(session *s, query_decoder *d, char *err)
{
    const session_config *cfg = session_get_config(s);
    memset(d, 0, sizeof *d);
    int rc = VLM_OK;
    if (!cfg->model && !recorded_captioner(s, d->dir, sizeof d->dir)) {
        /* The CLIP model that resolution would find cannot caption. */
        vlm_set_err(err, "captions need a LLaVA checkpoint: pass --model DIR "
                         "(a llava-hf folder), or fetch one with `vlmindex "
                         "model pull " DECODER_SUGGESTED
                         "` and pass --model " DECODER_SUGGESTED);
        return VLM_ENOTFOUND;
    }
    if (cfg->model) {
        session_model_query q = {.model = cfg->model};
        rc = session_resolve_model(&q, d->dir, sizeof d->dir, err);
    }
    if (!rc) rc = session_load_decoder(s, d->dir, &d->model, err);
    collection *c = session_collection(s);
    if (!rc && c) rc = collection_meta_set(c, "captioner_dir", d->dir, err);
    if (!rc) set_name(d);
    if (rc) decoder_close(d);
    return rc;
}

int decoder_for_rerank(session *s, const char *reranker, bool load,
                       query_decoder *d, char *err)
{
    memset(d, 0, sizeof *d);
    bool recorded = recorded_captioner(s, d->dir, sizeof d->dir);
    if (reranker) snprintf(d->dir, sizeof d->dir, "%s", reranker);
    if (load && !reranker && !recorded) {
        vlm_set_err(err, "--rerank needs a LLaVA checkpoint: pass --reranker "
                         "DIR (or caption the collection first with `vlmindex "
                         "caption --model DIR`)");
        return VLM_ENOTFOUND;
    }
    int rc = load ? session_load_decoder(s, d->dir, &d->model, err) : VLM_OK;
    if (!rc && (load || recorded)) set_name(d);
    if (rc) decoder_close(d);
    return rc;
}

void decoder_close(query_decoder *d)
{
    llava_destroy(d->model);
    memset(d, 0, sizeof *d);
}
