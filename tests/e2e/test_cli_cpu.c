/*
 * End-to-end: nothing fails because of the CPU.  `--version` names the
 * build and the paths in use; `vlmindex add --bf16` and a search work on every ISA
 * path (VLMINDEX_MAX_ISA caps this machine to the narrower ones), for an F32
 * and an F16 checkpoint, and say once when bf16 is emulated.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"

Test(cli_cpu, version_names_build_and_paths)
{
    const char *args[] = {"--version", NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *want[] = {"vlmindex ", "\nbuild: buildtype=",
                          " native=",  "\nkernels: ",
                          "\ngemm: ",  " bf16 "};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
    e2e_run_free(&r);
}

typedef struct cpu_case {
    char model[64], cap[16], dnnl[16];
} cpu_case;

ParameterizedTestParameters(cli_cpu, bf16_add_and_search)
{
    static cpu_case cases[] = {
        {"clip-tiny-quickgelu-f32", "", ""},
        {"clip-tiny-quickgelu-f32", "avx2", "AVX2"},
        {"clip-tiny-gelu-f16", "generic", "SSE41"},
    };
    return cr_make_param_array(cpu_case, cases, 3);
}

ParameterizedTest(cpu_case *c, cli_cpu, bf16_add_and_search, .timeout = 120)
{
    if (*c->cap) {
        setenv("VLMINDEX_MAX_ISA", c->cap, 1);
        setenv("DNNL_MAX_CPU_ISA", c->dnnl, 1);
    }
    e2e_ws ws;
    e2e_ws_init(&ws, c->model);
    const char *add[] = {"add",     "--bf16", "--collection", ws.coll,
                         "--model", ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "add --bf16 (%s): %s", c->cap, r.err);
    cr_expect(strstr(r.out, "failed 0"), "summary: %s", r.out);
    if (!strcmp(c->cap, "generic")) /* no native bf16 on the generic path */
        cr_expect(strstr(r.err, "no native bf16"), "stderr: %s", r.err);
    char *note = strstr(r.err, "no native bf16");
    cr_expect(!note || !strstr(note + 1, "no native bf16"), "noted twice");
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).embeddings, 28);
    const char *search[] = {
        "--collection", ws.coll, "--model", ws.model, "--bf16",
        "-n",           "3",     "a cat",   NULL};
    r = e2e_exec("vlmsearch", search);
    cr_assert_eq(r.status, 0, "search --bf16 (%s): %s", c->cap, r.err);
    cr_expect_eq(e2e_count_lines(r.out), 3, "%s", r.out);
    e2e_run_free(&r);
    e2e_ws_cleanup(&ws);
}
