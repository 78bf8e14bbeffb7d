/* End-to-end: both CLIs answer --version with the project's version on the
 * first line (later lines may describe the build). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"

static void check_version(const char *prog)
{
    const char *args[] = {"--version", NULL};
    e2e_run r = e2e_exec(prog, args);
    char want[128];
    snprintf(want, sizeof want, "%s %s\n", prog, VLMINDEX_VERSION);
    cr_assert_eq(r.status, 0, "%s --version exited %d: %s", prog, r.status,
                 r.err);
    cr_assert(!strncmp(r.out, want, strlen(want)),
              "%s --version printed '%s', want a first line '%s'", prog, r.out,
              want);
    e2e_run_free(&r);
}

Test(cli_version, vlmindex) { check_version("vlmindex"); }

Test(cli_version, vlmsearch) { check_version("vlmsearch"); }
