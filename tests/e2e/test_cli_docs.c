/* End-to-end: `meson install` puts the binaries, the man pages (built from
 * scdoc) and bash/zsh/fish completions in place; the man pages name every
 * command and the exit codes; the bash completion completes commands,
 * options and option values from the binaries' own --help. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/e2e/e2e_util.h"

static char dest[64];

static void setup(void)
{
    snprintf(dest, sizeof dest, "/tmp/vlm-install-XXXXXX");
    cr_assert_not_null(mkdtemp(dest));
    cr_assert_eq(e2e_sh("meson install -C '%s' --destdir '%s' --no-rebuild "
                        "--quiet > '%s/install.log' 2>&1",
                        getenv("VLM_BUILD_DIR"), dest, dest),
                 0, "meson install failed (see %s/install.log)", dest);
}

static void teardown(void) { e2e_sh("rm -rf '%s'", dest); }

TestSuite(cli_docs, .init = setup, .fini = teardown, .timeout = 180);

/* The installed file whose path ends in `tail`, into out; 0 if none. */
static int installed(const char *tail, char *out, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find '%s' -path '*%s' | head -1", dest, tail);
    FILE *p = popen(cmd, "r");
    out[0] = 0;
    if (p && fgets(out, (int)n, p)) out[strcspn(out, "\n")] = 0;
    if (p) pclose(p);
    return out[0] != 0;
}

Test(cli_docs, everything_is_installed)
{
    static const char *const files[] = {
        "/bin/vlmindex",
        "/bin/vlmsearch",
        "/man/man1/vlmindex.1",
        "/man/man1/vlmsearch.1",
        "/bash-completion/completions/vlmindex",
        "/bash-completion/completions/vlmsearch",
        "/zsh/vendor-completions/_vlmindex",
        "/fish/vendor_completions.d/vlmindex.fish",
        "/fish/vendor_completions.d/vlmsearch.fish"};
    char path[1024];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        cr_assert(installed(files[i], path, sizeof path), "%s not installed",
                  files[i]);
}

Test(cli_docs, man_pages_name_every_command_and_the_exit_codes)
{
    char page[1024], cmd[2048];
    cr_assert(installed("/man/man1/vlmindex.1", page, sizeof page));
    cr_assert_eq(e2e_sh("grep -q '^.SH EXIT STATUS' '%s'", page), 0);
    cr_assert_eq(e2e_sh("grep -q '130' '%s'", page), 0);
    /* Every command of `vlmindex --help` has its paragraph. */
    snprintf(cmd, sizeof cmd,
             "'%s/bin/vlmindex' --help | awk '/^  [a-z]+ / { print $1 }' | "
             "while read c; do grep -q \"\\\\\\\\fB$c\" '%s' || "
             "{ echo \"man page lacks $c\"; exit 1; }; done",
             getenv("VLM_BUILD_DIR"), page);
    cr_assert_eq(e2e_sh("%s", cmd), 0, "%s", cmd);
    cr_assert(installed("/man/man1/vlmsearch.1", page, sizeof page));
    cr_assert_eq(e2e_sh("grep -q -- 'preview' '%s' && grep -q '^.SH EXIT "
                        "STATUS' '%s'",
                        page, page),
                 0);
}

/* COMPREPLY of the bash completion for the words given. */
static char *complete(const char *line)
{
    char script[4096], out[800];
    snprintf(out, sizeof out, "%s/reply.txt", dest);
    char comp[1024];
    cr_assert(
        installed("/bash-completion/completions/vlmindex", comp, sizeof comp));
    snprintf(script, sizeof script,
             "PATH='%s/bin':$PATH bash -c 'source \"%s\"; "
             "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
             "_vlmindex; printf \"%%s \" \"${COMPREPLY[@]}\"' > '%s'",
             getenv("VLM_BUILD_DIR"), comp, line, out);
    cr_assert_eq(e2e_sh("%s", script), 0, "%s", script);
    FILE *f = fopen(out, "r");
    static char reply[4096];
    size_t n = fread(reply, 1, sizeof reply - 1, f);
    reply[n] = 0;
    fclose(f);
    return reply;
}

Test(cli_docs, bash_completion_follows_the_binaries)
{
    char *r = complete("vlmindex ad");
    cr_assert(strstr(r, "add "), "%s", r);
    r = complete("vlmindex d");
    cr_assert(strstr(r, "dupes "), "%s", r);
    r = complete("vlmindex add --ex");
    cr_assert(strstr(r, "--exclude ") && strstr(r, "--exact "), "%s", r);
    r = complete("vlmsearch --pre");
    cr_assert(strstr(r, "--preview ") && strstr(r, "--preview-height "), "%s",
              r);
    r = complete("vlmsearch -f j");
    cr_assert_str_eq(r, "jsonl ");
    r = complete("vlmindex dupes --keep o");
    cr_assert_str_eq(r, "oldest ");
    r = complete("vlmindex exclude l");
    cr_assert_str_eq(r, "list ");
    r = complete("vlmindex status --progress p");
    cr_assert_str_eq(r, "plain ");
    r = complete("vlmindex probe s");
    cr_assert_str_eq(r, "show ");
    r = complete("vlmsearch --more");
    cr_assert_str_eq(r, "--more-like ");
}

Test(cli_docs, zsh_and_fish_completions_parse)
{
    char f[1024];
    if (!e2e_sh("command -v zsh > /dev/null")) {
        cr_assert(installed("/zsh/vendor-completions/_vlmindex", f, sizeof f));
        cr_assert_eq(e2e_sh("zsh -n '%s'", f), 0);
    }
    if (!e2e_sh("command -v fish > /dev/null")) {
        cr_assert(
            installed("/fish/vendor_completions.d/vlmindex.fish", f, sizeof f));
        cr_assert_eq(e2e_sh("fish -n '%s'", f), 0);
        /* fish itself lists the commands. */
        cr_assert_eq(e2e_sh("PATH='%s/bin':$PATH fish -c 'source \"%s\"; "
                            "complete -C \"vlmindex dup\"' | grep -q '^dupes'",
                            getenv("VLM_BUILD_DIR"), f),
                     0);
    }
}
