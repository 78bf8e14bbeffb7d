/*
 * tok_cases.h — the reference cases of tokenizer-clip/cases.jsonl: each
 * text must give exactly the reference's ids, context77 and decoded text.
 */
#ifndef VLM_TESTS_TOK_CASES_H
#define VLM_TESTS_TOK_CASES_H

#include "model/tokenizer/clip_tokenizer.h"

/* Checks tok against every case (Criterion expectations); returns the
 * number of cases.  Skips the test if the fixtures are absent. */
int tok_check_all_cases(const clip_tokenizer *tok);

#endif
