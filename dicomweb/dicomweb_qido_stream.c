/*
 * dicomweb_qido_stream.c — a QIDO-RS answer (a JSON array of DICOM JSON
 * objects) read as it arrives.  json-c's tokener parses each element of
 * the array on its own; only the array's own punctuation ('[', ',', ']'
 * and white space between elements) is looked at here.  A parsed element
 * is handed to the caller and freed, so memory stays bounded by the
 * largest single result (max_record bytes), whatever the answer's size.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

#define JSON_DEPTH \
    64 /* nested sequences in DICOM JSON; json-c's default is 32 */

enum stream_state {
    BEFORE_ARRAY, /* white space, then '[' */
    FIRST_OR_END, /* after '[': an element or ']' */
    IN_ELEMENT,   /* bytes go to the tokener */
    AFTER_ELEMENT,
    NEXT_ELEMENT, /* after ',': an element must follow */
    DONE,         /* after ']': only white space */
};

struct dw_qido_stream {
    json_tokener *tok;
    enum stream_state state;
    size_t max_record, element_bytes, elements, total_bytes;
    dw_qido_record_fn fn;
    void *ctx;
};

int dw_qido_stream_create(size_t max_record, dw_qido_record_fn fn, void *ctx,
                          dw_qido_stream **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return VLM_ENOMEM;
    (*out)->tok = json_tokener_new_ex(JSON_DEPTH);
    if (!(*out)->tok) {
        free(*out);
        *out = NULL;
        return VLM_ENOMEM;
    }
    (*out)->max_record = max_record;
    (*out)->fn = fn;
    (*out)->ctx = ctx;
    return VLM_OK;
}

void dw_qido_stream_reset(dw_qido_stream *s)
{
    json_tokener_reset(s->tok);
    s->state = BEFORE_ARRAY;
    s->element_bytes = s->elements = s->total_bytes = 0;
}

void dw_qido_stream_destroy(dw_qido_stream *s)
{
    if (!s) return;
    json_tokener_free(s->tok);
    free(s);
}

size_t dw_qido_stream_count(const dw_qido_stream *s) { return s->elements; }

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int bad(const dw_qido_stream *s, const char *what, char *err)
{
    vlm_set_err(err, "QIDO answer is not a DICOM JSON array: %s (at byte %zu)",
                what, s->total_bytes);
    return VLM_EFORMAT;
}

/* One punctuation byte outside the elements. */
static int punctuation(dw_qido_stream *s, char ch, char *err)
{
    if (is_space(ch)) return VLM_OK;
    switch (s->state) {
    case BEFORE_ARRAY:
        if (ch != '[') return bad(s, "it does not start with '['", err);
        s->state = FIRST_OR_END;
        return VLM_OK;
    case FIRST_OR_END:
    case AFTER_ELEMENT:
        if (ch == ']') {
            s->state = DONE;
            return VLM_OK;
        }
        if (s->state == AFTER_ELEMENT) {
            if (ch != ',') return bad(s, "expected ',' or ']'", err);
            s->state = NEXT_ELEMENT;
            return VLM_OK;
        }
        break;
    case DONE: return bad(s, "data after the closing ']'", err);
    default: break;
    }
    return bad(s, "expected a result object", err);
}

/* The tokener completed an element: hand objects over, ignore the rest
 * (a bare number or string in the array carries no result). */
static int element_done(dw_qido_stream *s, json_object *obj, char *err)
{
    int rc = VLM_OK;
    s->elements++;
    if (json_object_is_type(obj, json_type_object) && s->fn)
        rc = s->fn(s->ctx, obj, err);
    json_object_put(obj);
    json_tokener_reset(s->tok);
    s->element_bytes = 0;
    s->state = AFTER_ELEMENT;
    return rc;
}

/* Feeds up to n bytes of the current element; *used gets what was taken. */
static int feed_element(dw_qido_stream *s, const char *p, size_t n,
                        size_t *used, char *err)
{
    size_t room = s->max_record - s->element_bytes;
    size_t take = n < room ? n : room;
    json_object *obj = json_tokener_parse_ex(s->tok, p, (int)take);
    enum json_tokener_error e = json_tokener_get_error(s->tok);
    if (obj) {
        *used = json_tokener_get_parse_end(s->tok);
        return element_done(s, obj, err);
    }
    if (e != json_tokener_continue) {
        vlm_set_err(err, "QIDO answer: result %zu is malformed JSON: %s",
                    s->elements + 1, json_tokener_error_desc(e));
        return VLM_EFORMAT;
    }
    *used = take;
    s->element_bytes += take;
    if (s->element_bytes >= s->max_record) {
        vlm_set_err(err,
                    "QIDO answer: result %zu is larger than %zu bytes; "
                    "refusing to read it",
                    s->elements + 1, s->max_record);
        return VLM_ETOOBIG;
    }
    return VLM_OK;
}

int dw_qido_stream_feed(dw_qido_stream *s, const char *p, size_t n, char *err)
{
    /* json-c takes an int length; the caller's chunks are curl's (16 KiB). */
    while (n > 0) {
        size_t used = 1;
        int rc;
        if (s->state == IN_ELEMENT) {
            rc = feed_element(s, p, n > (1u << 30) ? 1u << 30 : n, &used, err);
        } else if ((s->state == FIRST_OR_END || s->state == NEXT_ELEMENT) &&
                   !is_space(*p) && *p != ']') {
            s->state = IN_ELEMENT;
            used = 0;
            rc = VLM_OK;
        } else {
            rc = punctuation(s, *p, err);
        }
        if (rc != VLM_OK) return rc;
        p += used;
        n -= used;
        s->total_bytes += used;
    }
    return VLM_OK;
}

int dw_qido_stream_finish(dw_qido_stream *s, char *err)
{
    /* An empty body (HTTP 204, or 200 with white space) means no matches. */
    if (s->state == DONE || s->state == BEFORE_ARRAY) return VLM_OK;
    vlm_set_err(err,
                "QIDO answer ends before its array does (after %zu results, "
                "%zu bytes): truncated",
                s->elements, s->total_bytes);
    return VLM_EFORMAT;
}
