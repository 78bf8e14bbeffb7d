/*
 * query_parse.h — the search query language, after rclip.
 *
 *   vlmsearch "2:golden retriever" + ./pool.jpg - fruit
 *
 * A query is a sum of terms.  Each term is text or an image path, with an
 * optional weight prefix "W:" (W a decimal number, default 1) and a sign
 * given by a standalone "+" or "-" before it (also accepted inside one
 * argument when surrounded by spaces: "horse + stripes").  Consecutive plain
 * words join into one text term, so `vlmsearch red flowers` means
 * "red flowers".  A term is an image when it names an existing regular file,
 * or looks like a path (starts with "/", "./", "../" or "~/"); a path-looking
 * term that does not exist is an error rather than silently becoming text.
 * A term starting with http://, https:// or file:// is an image to fetch
 * (QUERY_URL), as in rclip.
 * A term "probe:NAME" (or "probe:NAME:CLASS" for a probe of several
 * classes) is a linear probe of the collection (probe.h): it adds the
 * probe's unit weight direction, weighted and signed like any term, so
 * "red dress + 2:probe:floral" leans a text query towards what the probe
 * learnt.  It is checked before URLs and files: "./probe:x" is the file.
 * A weight must be a finite number, and not every weight may be 0 (the
 * query vector would be zero).
 */
#ifndef VLM_QUERY_PARSE_H
#define VLM_QUERY_PARSE_H

#include <stddef.h>

#include "model/core/vlm_error.h"

typedef enum query_term_kind {
    QUERY_TEXT,
    QUERY_IMAGE,    /* a local file */
    QUERY_URL,      /* http://, https:// or file:// (query_fetch.h) */
    QUERY_IMAGE_ID, /* value: the decimal id of an indexed image */
    QUERY_PROBE     /* value: NAME or NAME:CLASS, after "probe:" */
} query_term_kind;

typedef struct query_term {
    query_term_kind kind;
    float weight; /* signed: "-" terms are negative */
    char *value;  /* the text, the image path (with ~ expanded), the URL,
                     or the id */
} query_term;

typedef struct query {
    int n_terms;
    query_term *terms;
} query;

/* Parses argv-style words into q.  Returns VLM_OK or VLM_EINVAL with err. */
int query_parse(int argc, const char *const *argv, query *q, char *err);
void query_free(query *q);

/* One string, split at white space into words, parsed as above but with
 * "id:N" terms (an indexed image) instead of paths: a path stays text, and
 * a URL term is refused (VLM_EINVAL) — a server reads neither files nor
 * URLs for its clients. */
int query_parse_ids(const char *text, query *q, char *err);

/* True when any term needs the vision tower (an image file or a URL; an
 * id term reads a stored embedding). */
int query_has_image(const query *q);

/* True when any term is a probe. */
int query_has_probe(const query *q);

/* Every term's value joined with " + " (what a worklist says it ranked
 * by; probes as probe:NAME), truncated to n. */
void query_text(const query *q, char *out, size_t n);

/* The query written in the language itself, with signs and weights
 * ("2:golden retriever + id:17 - fruit"): parsing it again (the same way)
 * gives the same terms.  Truncated to n. */
void query_format(const query *q, char *out, size_t n);

/* The words of the positive text terms, space-separated: what the decoder
 * and the stored captions are matched against.  "" when there are none. */
void query_phrase(const query *q, char *out, size_t n);

#endif
