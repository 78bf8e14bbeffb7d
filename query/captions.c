#include "query/captions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_file.h"
#include "media/media_path.h"

/* The work list: (id, path) of ok rows under in_dir. */
typedef struct work_list {
    int64_t *ids;
    char **paths;
    size_t n;
} work_list;

static void work_list_free(work_list *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->paths[i]);
    free(t->ids);
    free(t->paths);
}

static int list_work(collection *c, const char *in_dir, work_list *t, char *err)
{
    char *abs = in_dir ? media_abspath(in_dir) : NULL;
    collection_cursor *cur;
    int rc = collection_cursor_open(c, abs, COLLECTION_ROWS_OK, &cur, err);
    free(abs);
    if (rc) return rc;
    collection_image *row = malloc(sizeof *row);
    size_t cap = 0;
    memset(t, 0, sizeof *t);
    while (row && (rc = collection_cursor_step(cur, row, err)) == 1) {
        if (t->n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *ni = realloc(t->ids, cap * sizeof *ni);
            char **np = realloc(t->paths, cap * sizeof *np);
            if (ni) t->ids = ni;
            if (np) t->paths = np;
            if (!ni || !np) break;
        }
        t->ids[t->n] = row->id;
        t->paths[t->n++] = strdup(row->path);
    }
    collection_cursor_close(cur);
    free(row);
    return rc < 0 ? rc : VLM_OK;
}

int captions_image_file(llava_model *lm, const char *path, const char *prompt,
                        const llava_gen_opts *gen, char **text, char *err)
{
    img_rgb im = {0};
    int rc = media_load_file(path, NULL, &im, err);
    if (!rc) rc = llava_caption(lm, &im, prompt, gen, text, err);
    img_rgb_free(&im);
    return rc;
}

int captions_score_file(llava_model *lm, const char *path, const char *prompt,
                        const char *phrase, llava_phrase_score *out, char *err)
{
    img_rgb im = {0};
    int rc = media_load_file(path, NULL, &im, err);
    if (!rc) rc = llava_score_phrase(lm, &im, prompt, phrase, out, err);
    img_rgb_free(&im);
    return rc;
}

static int caption_one(collection *c, llava_model *lm, const char *model_name,
                       const char *prompt, const captions_options *o,
                       int64_t id, const char *path, char **text, char *err)
{
    int rc = captions_image_file(lm, path, prompt, &o->gen, text, err);
    if (!rc) rc = collection_put_caption(c, id, model_name, prompt, *text, err);
    return rc;
}

int captions_run(collection *c, llava_model *lm, const char *model_name,
                 const captions_options *o, captions_summary *s, char *err)
{
    const char *prompt = o->prompt ? o->prompt : LLAVA_DEFAULT_PROMPT;
    work_list t = {0};
    memset(s, 0, sizeof *s);
    int rc = list_work(c, o->in_dir, &t, err);
    for (size_t i = 0; !rc && i < t.n; i++) {
        char *text = NULL, e[VLM_ERR_MAX];
        if (o->cancel && *o->cancel) {
            rc = VLM_EINTERRUPTED;
            vlm_set_err(err, "interrupted: captions made so far are kept; run "
                             "again to continue");
            break;
        }
        if (!o->redo && collection_get_caption(c, t.ids[i], model_name, prompt,
                                               &text, NULL) == VLM_OK) {
            free(text);
            s->skipped++;
            continue;
        }
        if (caption_one(c, lm, model_name, prompt, o, t.ids[i], t.paths[i],
                        &text, e)) {
            s->failed++;
            if (o->on_failure) o->on_failure(o->user, t.paths[i], e);
        } else {
            s->captioned++;
            if (o->on_caption)
                o->on_caption(o->user, (int64_t)i + 1, (int64_t)t.n, t.paths[i],
                              text);
        }
        free(text);
    }
    work_list_free(&t);
    return rc;
}
