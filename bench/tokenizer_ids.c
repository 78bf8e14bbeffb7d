/* tokenizer_ids.c — prints the CLIP ids of texts, for comparing with a
 * Python reference (bench/clip_tokenizer_ref.py).
 * Usage: tokenizer_ids TOKENIZER_DIR < texts.jsonl  (one JSON string a line)
 * Output: one line per text, the ids separated by spaces. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/tokenizer/clip_tokenizer.h"

int main(int argc, char **argv)
{
    char err[VLM_ERR_MAX];
    clip_tokenizer *tok;
    if (argc != 2 || clip_tokenizer_create(argv[1], &tok, err) != VLM_OK) {
        fprintf(stderr, "usage: tokenizer_ids DIR < texts.jsonl (%s)\n",
                argc == 2 ? err : "no DIR");
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_object *j = json_tokener_parse(line);
        const char *text = j ? json_object_get_string(j) : "";
        int n = clip_tokenizer_encode(tok, text, NULL, 0, err);
        int32_t *ids = malloc(((size_t)(n > 0 ? n : 0) + 1) * sizeof *ids);
        n = clip_tokenizer_encode(tok, text, ids, n, err);
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
        free(ids);
        json_object_put(j);
    }
    free(line);
    clip_tokenizer_destroy(tok);
    return 0;
}
