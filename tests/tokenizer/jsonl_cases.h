/*
 * jsonl_cases.h — tokenizer fixture cases (one JSON object a line) for the
 * tokenizer tests: reading them and comparing id lists.  Failures are
 * Criterion assertions/expectations naming the text.
 */
#ifndef VLM_TESTS_JSONL_CASES_H
#define VLM_TESTS_JSONL_CASES_H

#include <json-c/json.h>
#include <stdint.h>

/* $VLM_FIXTURES/<name>/<file> into buf; skips the test when absent. */
void case_file(const char *name, const char *file, char *buf, size_t cap);

/* Calls fn on every line of path; returns the number of cases. */
int for_each_case(const char *path, void (*fn)(json_object *c, void *ctx),
                  void *ctx);

/* c[key] (asserts it exists). */
json_object *case_get(json_object *c, const char *key);

/* Expects got[0..n_got) to equal the JSON int array want, id for id. */
void expect_ids(const char *what, const char *text, const int32_t *got,
                int n_got, json_object *want);

#endif
