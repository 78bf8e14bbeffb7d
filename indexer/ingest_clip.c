/* ingest_clip_encoder: a loaded CLIP model's vision tower feeding the
 * batch writer. */
#include "indexer/ingest.h"

static int encode_clip(void *self, const float *pixels, int n, float *embeds,
                       char *err)
{
    return clip_encode_images(self, pixels, n, embeds, NULL, NULL, NULL, err);
}

ingest_encoder ingest_clip_encoder(clip_model *m)
{
    return (ingest_encoder){
        .name = clip_model_name(m),
        .family = clip_model_family(m),
        .model_id = clip_model_id(m),
        .dims = clip_embed_dim(m),
        .prep = *clip_prep_params(m),
        .encode = encode_clip,
        .self = m,
    };
}
