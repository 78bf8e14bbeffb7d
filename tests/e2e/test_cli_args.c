/* End-to-end: argument handling of both CLIs — every command's own --help
 * (global options and exit codes included, 80 columns), strict numbers with
 * the flag and the reason named, choices, "did you mean", the -t hint, and
 * that a refused command line never touches the collection. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/e2e/e2e_util.h"

static const char *const subcommands[] = {
    "add",    "update",  "rm",    "status", "repair",  "reset", "classify",
    "embed",  "caption", "score", "model",  "exclude", "dupes", "export",
    "render", "watch",   "serve", "probe",  NULL};

static void check_help_text(const char *text, const char *first_line)
{
    cr_assert(!strncmp(text, first_line, strlen(first_line)),
              "help starts with '%.60s', want '%s'", text, first_line);
    cr_assert_not_null(strstr(text, "Global options:"), "%s", text);
    cr_assert_not_null(strstr(text, "--collection DIR"), "%s", text);
    cr_assert_not_null(strstr(text, "Exit status: 0"), "%s", text);
    cr_assert_not_null(strstr(text, "130 interrupted"), "%s", text);
    /* Fits an 80-column terminal. */
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        cr_assert_leq(len, 80, "line over 80 columns: %.*s", (int)len, l);
        l += len + (nl != NULL);
    }
}

Test(cli_args, every_subcommand_has_its_own_help)
{
    for (int i = 0; subcommands[i]; i++) {
        const char *args[] = {subcommands[i], "--help", NULL};
        e2e_run r = e2e_exec("vlmindex", args);
        char want[64];
        snprintf(want, sizeof want, "usage: vlmindex %s", subcommands[i]);
        cr_assert_eq(r.status, 0, "%s --help exited %d: %s", subcommands[i],
                     r.status, r.err);
        check_help_text(r.out, want);
        /* `vlmindex help CMD` says the same. */
        const char *help[] = {"help", subcommands[i], NULL};
        e2e_run h = e2e_exec("vlmindex", help);
        cr_assert_eq(h.status, 0);
        cr_assert_str_eq(h.out, r.out);
        e2e_run_free(&h);
        e2e_run_free(&r);
    }
    const char *args[] = {"-h", NULL};
    e2e_run r = e2e_exec("vlmsearch", args);
    cr_assert_eq(r.status, 0);
    check_help_text(r.out, "usage: vlmsearch [options] QUERY...");
    e2e_run_free(&r);
}

Test(cli_args, top_level_help_lists_commands_and_exit_codes)
{
    const char *args[] = {"--help", NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0);
    for (int i = 0; subcommands[i]; i++) {
        char want[32];
        snprintf(want, sizeof want, "\n  %s ", subcommands[i]);
        cr_assert_not_null(strstr(r.out, want), "no %s in: %s", subcommands[i],
                           r.out);
    }
    cr_assert_not_null(strstr(r.out, "Exit status: 0"));
    e2e_run_free(&r);
}

typedef struct refusal {
    const char *prog;
    const char *args[8];
    const char *says[3]; /* substrings stderr must contain */
} refusal;

static const refusal refusals[] = {
    {"vlmsearch",
     {"-t", "abc", "cat"},
     {"-t/--threshold", "'abc' is not a number"}},
    {"vlmsearch",
     {"-t", "nan", "cat"},
     {"-t/--threshold", "'nan' is not a number"}},
    {"vlmsearch", {"-t", "inf", "cat"}, {"-t/--threshold", "between -1 and 1"}},
    {"vlmsearch",
     {"-t", "1e309", "cat"},
     {"-t/--threshold", "between -1 and 1"}},
    {"vlmsearch",
     {"-t", "5", "kitty"},
     {"cosine in [-1,1]", "for the top 5 use -n 5"}},
    {"vlmsearch", {"-n", "0", "cat"}, {"-n/--top", "between 1 and", "(got 0)"}},
    {"vlmsearch",
     {"-n", "abc", "cat"},
     {"-n/--top", "'abc' is not a whole number"}},
    {"vlmsearch",
     {"--top=5x", "cat"},
     {"-n/--top", "'5x' is not a whole number"}},
    {"vlmsearch", {"-n", "", "cat"}, {"-n/--top", "'' is not a whole number"}},
    {"vlmsearch",
     {"-n", "99999999999999999999", "cat"},
     {"-n/--top", "between"}},
    {"vlmsearch", {"-r", "-3", "cat"}, {"-r/--rerank", "(got -3)"}},
    {"vlmsearch",
     {"--topp", "5", "cat"},
     {"unknown option --topp", "did you mean --top?"}},
    {"vlmsearch", {"--thresold", "0.2", "cat"}, {"did you mean --threshold?"}},
    {"vlmsearch",
     {"-f", "jsnl", "cat"},
     {"'jsnl' is not one of tsv, paths, jsonl, csv", "did you mean jsonl?"}},
    {"vlmsearch", {"-n"}, {"-n/--top needs a value (K)"}},
    {"vlmsearch", {"--bf16=yes", "cat"}, {"--bf16 takes no value"}},
    {"vlmsearch", {"-u", "cat"}, {"unknown option -u"}},
    {"vlmsearch", {"-n", "3"}, {"give at least one QUERY"}},
    {"vlmsearch",
     {"--probe", "x", "cat"},
     {"--probe ranks by the probe alone"}},
    {"vlmsearch", {"--less-like", "a.jpg"}, {"nothing to move away from"}},
    {"vlmindex",
     {"probe", "train", "x", "--precision", "2"},
     {"--precision", "(got 2)"}},
    {"vlmindex", {"probe", "list", "x"}, {"list takes no NAME"}},
    {"vlmindex", {"probe", "evl", "x"}, {"did you mean eval?"}},
    {"vlmindex", {"ad", "x"}, {"unknown command 'ad'", "did you mean add?"}},
    {"vlmindex", {"serach", "x"}, {"unknown command 'serach'"}},
    {"vlmindex", {"search", "x"}, {"vlmsearch QUERY"}},
    {"vlmindex",
     {"--collection", "x", "add"},
     {"options come after the command"}},
    {"vlmindex",
     {"add", "--modle", "m", "x"},
     {"unknown option --modle", "did you mean --model?"}},
    {"vlmindex", {"add", "-b", "0", "x"}, {"-b/--batch", "(got 0)"}},
    {"vlmindex",
     {"add", "-j", "abc", "x"},
     {"-j/--threads", "'abc' is not a whole number"}},
    {"vlmindex", {"add", "-j", "-1", "x"}, {"-j/--threads", "(got -1)"}},
    {"vlmindex", {"add"}, {"give at least one folder or file"}},
    {"vlmindex", {"add", "-w", "lungs", "x"}, {"-w/--window"}},
    {"vlmindex", {"update", "x"}, {"takes no arguments (got 'x')"}},
    {"vlmindex", {"status", "--faild"}, {"did you mean --failed?"}},
    {"vlmindex",
     {"classify", "--min-prob", "abc", "-l", "a"},
     {"--min-prob: 'abc' is not a number"}},
    {"vlmindex",
     {"classify", "--min-prob", "1.5", "-l", "a"},
     {"--min-prob must be between 0 and 1"}},
    {"vlmindex",
     {"classify", "-f", "tsv", "-l", "a"},
     {"'tsv' is not one of csv, jsonl"}},
    {"vlmindex",
     {"caption", "--temperature", "nan"},
     {"--temperature: 'nan' is not a number"}},
    {"vlmindex", {"caption", "--top-p", "0"}, {"--top-p must be between"}},
    {"vlmindex", {"caption", "-m", "0"}, {"-m/--max-tokens", "(got 0)"}},
    {"vlmindex",
     {"caption", "--seed", "-1"},
     {"--seed: '-1' is not a whole number"}},
    {"vlmindex", {"score", "--image", "x.jpg"}, {"--phrase TEXT are required"}},
    {"vlmindex",
     {"model", "pul", "x"},
     {"unknown verb 'pul'", "did you mean pull?"}},
    {"vlmindex",
     {"model", "pull", "--chinese", "--siglip"},
     {"pull takes one of NAME, --chinese, --siglip"}},
    {"vlmindex", {"embed"}, {"give --text TEXT or --image PATH"}},
};

/* [command word] --collection COLL the rest; as given when it starts with
 * an option of vlmindex itself. */
static void build_args(const refusal *t, const char *coll, const char **args)
{
    int n = 0, j = 0, search = !strcmp(t->prog, "vlmsearch");
    if (!search && t->args[0][0] != '-') args[n++] = t->args[j++];
    if (search || t->args[0][0] != '-') {
        args[n++] = "--collection";
        args[n++] = coll;
    }
    for (; j < 8 && t->args[j]; j++) args[n++] = t->args[j];
    args[n] = NULL;
}

Test(cli_args, bad_command_lines_are_refused_by_name_and_reason)
{
    char coll[64];
    snprintf(coll, sizeof coll, "/tmp/vlm-args-XXXXXX");
    cr_assert_not_null(mkdtemp(coll));
    strcat(coll, "/coll"); /* must never be created */
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        const refusal *t = &refusals[i];
        const char *args[16];
        build_args(t, coll, args);
        e2e_run r = e2e_exec(t->prog, args);
        cr_assert_eq(r.status, 2, "case %zu (%s %s %s): exit %d, stderr: %s", i,
                     t->prog, t->args[0], t->args[1] ? t->args[1] : "",
                     r.status, r.err);
        for (int k = 0; k < 3 && t->says[k]; k++)
            cr_assert_not_null(strstr(r.err, t->says[k]),
                               "case %zu: stderr lacks '%s': %s", i, t->says[k],
                               r.err);
        cr_assert_eq(r.out_len, 0, "case %zu printed to stdout: %s", i, r.out);
        struct stat st;
        cr_assert_neq(stat(coll, &st), 0, "case %zu created the collection", i);
        e2e_run_free(&r);
    }
    *strrchr(coll, '/') = 0;
    rmdir(coll);
}

/* On a real collection: spellings that work, and queries and labels that
 * parse as options but mean nothing. */
static e2e_ws ws;

static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    const char *add[] = {"add", "-qC",    ws.coll,   "--batch=4",
                         "-M",  ws.model, ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_validate, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run run_in_ws(const char *prog, const char *const *extra)
{
    const char *args[24];
    int n = 0;
    if (!strcmp(prog, "vlmindex")) args[n++] = *extra++;
    args[n++] = "-C";
    args[n++] = ws.coll;
    while (*extra && n < 23) args[n++] = *extra++;
    args[n] = NULL;
    return e2e_exec(prog, args);
}

Test(cli_validate, option_spellings_that_work)
{
    const char *forms[][8] = {
        {"-n3", "cat", NULL},
        {"--top=3", "cat", NULL},
        {"cat", "--top", "3", NULL},
        {"-qn", "3", "--", "cat", NULL},
        {"--threshold=-1", "-n", "3", "cat", NULL},
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        e2e_run r = run_in_ws("vlmsearch", forms[i]);
        cr_assert_eq(r.status, 0, "form %zu: %s", i, r.err);
        cr_assert_eq(e2e_count_lines(r.out), 3, "form %zu: %s", i, r.out);
        e2e_run_free(&r);
    }
}

Test(cli_validate, zero_query_vectors_are_errors)
{
    const char *queries[][4] = {
        {"1e309:cat", NULL},           {"0:cat", NULL},
        {"cat - cat", NULL},           {"cat", "-", "cat", NULL},
        {"2:dog", "-", "2:dog", NULL}, {"0:cat", "+", "0:dog", NULL},
    };
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        e2e_run r = run_in_ws("vlmsearch", queries[i]);
        cr_assert_eq(r.status, 2, "query %zu: exit %d: %s%s", i, r.status,
                     r.out, r.err);
        cr_assert(strstr(r.err, "the query vector is zero") ||
                      strstr(r.err, "not a finite number"),
                  "query %zu: %s", i, r.err);
        cr_assert_eq(r.out_len, 0);
        e2e_run_free(&r);
    }
    /* Weights that do not cancel still work. */
    const char *ok[] = {"2:cat", "-", "dog", NULL};
    e2e_run r = run_in_ws("vlmsearch", ok);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_validate, labels_and_templates_are_checked)
{
    char big[700];
    snprintf(big, sizeof big, "%s/big.txt", ws.root);
    cr_assert_eq(e2e_sh("yes label | head -c 5000000 > '%s'", big), 0);
    const char *cases[][8] = {
        {"classify", "--labels", "/dev/zero", NULL},
        {"classify", "--labels", big, NULL},
        {"classify", "-l", "cat", "-l", "dog", "-l", "cat", NULL},
        {"classify", "-l", "cat", "-l", "dog", "-t", "no braces", NULL},
        {"classify", "-l", "", NULL},
        {"classify", "--labels", "/nonexistent/labels.txt", NULL},
    };
    const char *says[] = {"larger than 4 MiB",
                          "larger than 4 MiB",
                          "label 'cat' is given more than once",
                          "template 'no braces' has no {}",
                          "label 1 is empty",
                          "cannot read labels"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        e2e_run r = run_in_ws("vlmindex", cases[i]);
        cr_assert_eq(r.status, 2, "case %zu: exit %d: %s", i, r.status, r.err);
        cr_assert_not_null(strstr(r.err, says[i]), "case %zu: %s", i, r.err);
        e2e_run_free(&r);
    }
    const char *ok[] = {"classify",      "-l",         "cat", "-l", "dog", "-t",
                        "a photo of {}", "--no-store", NULL};
    e2e_run r = run_in_ws("vlmindex", ok);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}
