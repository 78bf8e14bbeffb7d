/*
 * decode_webp.c — still WebP through libwebp (lossy or lossless, with or
 * without alpha; fancy upsampling as Pillow uses).  The EXIF chunk, if any,
 * is located with libwebpdemux.  Animated WebP is refused.
 */
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "model/image/image_internal.h"

static void find_exif(const img_src *src, img_meta *meta)
{
    WebPData data = {src->bytes, src->len};
    WebPDemuxer *dmux = WebPDemux(&data);
    if (!dmux) return;
    WebPChunkIterator it;
    if (WebPDemuxGetChunk(dmux, "EXIF", 1, &it)) {
        /* The payload points into src->bytes, which outlives the demuxer. */
        meta->exif = it.chunk.bytes;
        meta->exif_len = it.chunk.size;
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(dmux);
}

static void split_alpha(const uint8_t *rgba, img_rgb *out)
{
    size_t n = (size_t)out->width * out->height;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->pixels + 3 * i, rgba + 4 * i, 3);
        out->alpha[i] = rgba[4 * i + 3];
    }
}

int img_decode_webp(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(src->bytes, src->len, &f) != VP8_STATUS_OK) {
        vlm_set_err(err, "%s: invalid or truncated WebP header", src->label);
        return VLM_EFORMAT;
    }
    meta->width = f.width;
    meta->height = f.height;
    if (f.has_animation) {
        vlm_set_err(err, "%s: animated WebP is not supported", src->label);
        return VLM_EUNSUPPORTED;
    }
    int rc = img_rgb_alloc(src, out, f.width, f.height, f.has_alpha, err);
    if (rc) return rc;
    size_t n = (size_t)f.width * f.height;
    if (f.has_alpha) {
        uint8_t *rgba = WebPDecodeRGBA(src->bytes, src->len, NULL, NULL);
        if (rgba) split_alpha(rgba, out);
        WebPFree(rgba);
        rc = rgba ? VLM_OK : VLM_EFORMAT;
    } else {
        rc = WebPDecodeRGBInto(src->bytes, src->len, out->pixels, n * 3,
                               f.width * 3)
                 ? VLM_OK
                 : VLM_EFORMAT;
    }
    if (rc) {
        vlm_set_err(err, "%s: corrupt or truncated WebP data", src->label);
        return rc;
    }
    find_exif(src, meta);
    return VLM_OK;
}
