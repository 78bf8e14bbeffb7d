/* test_clip_cases.c — every case of tokenizer-clip/cases.jsonl must give
 * exactly the reference's ids, context77 and decoded text. */
#include <criterion/criterion.h>

#include "tests/tokenizer/tok_cases.h"
#include "tests/tokenizer/tok_fixture.h"

Test(clip_cases, all_reference_cases_match)
{
    clip_tokenizer *tok = tok_fixture_load();
    int cases = tok_check_all_cases(tok);
    clip_tokenizer_destroy(tok);
    cr_assert_geq(cases, 30, "only %d cases in cases.jsonl", cases);
}

Test(clip_cases, special_ids_and_vocab_size)
{
    clip_tokenizer *tok = tok_fixture_load();
    cr_expect_eq(clip_tokenizer_bos(tok), 49406);
    cr_expect_eq(clip_tokenizer_eos(tok), 49407);
    cr_expect_eq(clip_tokenizer_vocab_size(tok), 49408);
    clip_tokenizer_destroy(tok);
}
