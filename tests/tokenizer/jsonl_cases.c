/* jsonl_cases.c — see jsonl_cases.h. */
#include "tests/tokenizer/jsonl_cases.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void case_file(const char *name, const char *file, char *buf, size_t cap)
{
    const char *root = getenv("VLM_FIXTURES");
    if (!root) cr_skip_test("VLM_FIXTURES is not set; run through meson test");
    snprintf(buf, cap, "%s/%s/%s", root, name, file);
    if (access(buf, R_OK) != 0) cr_skip_test("fixture %s is absent", buf);
}

int for_each_case(const char *path, void (*fn)(json_object *c, void *ctx),
                  void *ctx)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    int cases = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *c = json_tokener_parse(line);
        cr_assert_not_null(c, "%s line %d is not JSON", path, cases + 1);
        fn(c, ctx);
        json_object_put(c);
        cases++;
    }
    free(line);
    fclose(f);
    return cases;
}

json_object *case_get(json_object *c, const char *key)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(c, key, &v), "case without \"%s\"",
              key);
    return v;
}

void expect_ids(const char *what, const char *text, const int32_t *got,
                int n_got, json_object *want)
{
    int n_want = (int)json_object_array_length(want);
    cr_expect_eq(n_got, n_want, "%s of \"%s\": %d ids, reference has %d", what,
                 text, n_got, n_want);
    for (int i = 0; i < n_got && i < n_want; i++) {
        int32_t w = json_object_get_int(json_object_array_get_idx(want, i));
        cr_expect_eq(got[i], w, "%s of \"%s\" [%d]: %d, reference %d", what,
                     text, i, got[i], w);
    }
}
