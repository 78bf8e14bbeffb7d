#include "tests/common/test_workspace.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

int test_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void test_ws_init(test_ws *ws, const char *model_name)
{
    memset(ws, 0, sizeof *ws);
    const char *fx = getenv("VLM_FIXTURES");
    struct stat st;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/%s/model.safetensors", fx ? fx : "",
             model_name);
    if (!fx || stat(probe, &st) != 0)
        cr_skip_test(
            "fixtures not found (VLM_FIXTURES=%s): see ../shared/fixtures",
            fx ? fx : "unset");
    snprintf(ws->fixtures, sizeof ws->fixtures, "%s", fx);
    snprintf(ws->root, sizeof ws->root, "/tmp/vlm-test-XXXXXX");
    cr_assert_not_null(mkdtemp(ws->root));
    snprintf(ws->model, sizeof ws->model, "%s/model", ws->root);
    snprintf(ws->coll, sizeof ws->coll, "%s/coll", ws->root);
    snprintf(ws->photos, sizeof ws->photos, "%s/photos", ws->root);
    /* A hub-layout folder: checkpoint files + CLIP tokenizer files. */
    cr_assert_eq(test_sh("mkdir -p '%s' && ln -s '%s/%s'/* '%s/' && "
                         "ln -s '%s/tokenizer-clip/vocab.json' "
                         "'%s/tokenizer-clip/merges.txt' '%s/' && "
                         "cp -r '%s/images/photos' '%s' && chmod -R u+w '%s'",
                         ws->model, fx, model_name, ws->model, fx, fx,
                         ws->model, fx, ws->photos, ws->photos),
                 0);
}

void test_ws_cleanup(test_ws *ws)
{
    if (ws->root[0]) test_sh("rm -rf '%s'", ws->root);
}
