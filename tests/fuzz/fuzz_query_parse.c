/*
 * fuzz_query_parse.c — libFuzzer target for the search query language
 * (query/query_parse.c): the input, split at newlines into at most 32
 * argv words, parsed as `vlmsearch WORD...` would.
 *
 * Must hold: VLM_OK or VLM_EINVAL with a message; a parsed query has at
 * least one term, every term a non-empty value and a finite weight, not
 * all weights zero; query_text and query_phrase stay inside their buffer
 * and end in a NUL.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/query_parse.h"

#define MAX_WORDS 32

static void check_query(const query *q)
{
    if (q->n_terms < 1) __builtin_trap();
    int nonzero = 0;
    for (int i = 0; i < q->n_terms; i++) {
        const query_term *t = &q->terms[i];
        if (!t->value || !t->value[0] || !isfinite(t->weight)) __builtin_trap();
        if (t->kind != QUERY_TEXT && t->kind != QUERY_IMAGE &&
            t->kind != QUERY_URL && t->kind != QUERY_PROBE)
            __builtin_trap();
        nonzero |= t->weight != 0;
    }
    if (!nonzero) __builtin_trap();
    char text[48], phrase[48];
    memset(text, 'x', sizeof text);
    memset(phrase, 'x', sizeof phrase);
    query_text(q, text, sizeof text);
    query_phrase(q, phrase, sizeof phrase);
    if (!memchr(text, 0, sizeof text) || !memchr(phrase, 0, sizeof phrase))
        __builtin_trap();
    (void)query_has_image(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *argv[MAX_WORDS];
    int argc = 0;
    for (char *w = buf; argc < MAX_WORDS;) {
        argv[argc++] = w;
        char *nl = strchr(w, '\n');
        if (!nl) break;
        *nl = '\0';
        w = nl + 1;
    }
    query q;
    memset(&q, 0, sizeof q);
    char err[VLM_ERR_MAX] = "";
    int rc = query_parse(argc, argv, &q, err);
    if (rc == VLM_OK)
        check_query(&q);
    else if (rc != VLM_EINVAL || !err[0])
        __builtin_trap();
    query_free(&q);
    free(buf);
    return 0;
}
