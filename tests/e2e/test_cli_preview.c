/* End-to-end: `vlmsearch --preview` writes each result's image as kitty
 * graphics, an iTerm2 inline PNG or sixel (forced with VLMINDEX_PREVIEW
 * here; detected on a real terminal), scaled to --preview-height; falls
 * back to a note without a capable terminal; paths become OSC 8 links. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"

static e2e_ws ws;

static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/one dir", ws.root);
    /* One image, 384x256 (cat.jpg): every preview is of it. */
    cr_assert_eq(
        e2e_sh("mkdir '%s' && cp '%s/cat.jpg' '%s/'", dir, ws.photos, dir), 0);
    const char *add[] = {"add", "-qC", ws.coll, "-M", ws.model, dir, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

static void teardown(void)
{
    unsetenv("VLMINDEX_PREVIEW");
    unsetenv("VLMINDEX_HYPERLINKS");
    e2e_ws_cleanup(&ws);
}

TestSuite(cli_preview, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run preview(const char *proto, const char *height)
{
    if (proto)
        setenv("VLMINDEX_PREVIEW", proto, 1);
    else
        unsetenv("VLMINDEX_PREVIEW");
    const char *args[] = {"-C", ws.coll, "-n",  "1", "--preview",
                          "-H", height,  "cat", NULL};
    return e2e_exec("vlmsearch", args);
}

static unsigned char *unbase64(const char *s, size_t len, size_t *out_len)
{
    unsigned char *out = malloc(len + 1);
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    cr_assert_geq(n, 0, "bad base64");
    while (len && s[len - 1] == '=') len--, n--; /* padding */
    *out_len = (size_t)n;
    return out;
}

Test(cli_preview, kitty_graphics_at_the_preview_height)
{
    e2e_run r = preview("kitty", "32");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *g = strstr(r.out, "\033_Ga=T,f=24,s=");
    cr_assert_not_null(g, "%s", r.out);
    int w = 0, h = 0;
    cr_assert_eq(sscanf(g, "\033_Ga=T,f=24,s=%d,v=%d", &w, &h), 2);
    cr_assert_eq(h, 32);
    cr_assert_eq(w, 48, "384x256 scaled to height 32 is 48 wide");
    /* The chunks' payloads concatenated: w*h RGB bytes. */
    char *all = calloc(1, r.out_len + 1);
    for (const char *p = g; (p = strchr(p, ';'));) {
        const char *end = strstr(p, "\033\\");
        strncat(all, p + 1, (size_t)(end - p - 1));
        p = strstr(end, "\033_G");
        if (!p) break;
    }
    size_t n;
    unsigned char *rgb = unbase64(all, strlen(all), &n);
    cr_assert_eq(n, (size_t)(w * h * 3));
    free(rgb);
    free(all);
    e2e_run_free(&r);
    /* Never enlarged: the image is 384x256. */
    r = preview("kitty", "500");
    cr_assert_not_null(strstr(r.out, "s=384,v=256"), "%.80s", r.out);
    e2e_run_free(&r);
}

Test(cli_preview, iterm_inline_png)
{
    e2e_run r = preview("iterm", "32");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *p = strstr(r.out, "\033]1337;File=inline=1;");
    cr_assert_not_null(p, "%s", r.out);
    const char *colon = strchr(p, ':'), *bel = strchr(colon, '\a');
    cr_assert(colon && bel);
    size_t n;
    unsigned char *png = unbase64(colon + 1, (size_t)(bel - colon - 1), &n);
    cr_assert(n > 24 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8), "not a PNG");
    unsigned w = (unsigned)png[16] << 24 | png[17] << 16 | png[18] << 8 |
                 png[19],
             h = (unsigned)png[20] << 24 | png[21] << 16 | png[22] << 8 |
                 png[23];
    cr_assert_eq(w, 48);
    cr_assert_eq(h, 32);
    free(png);
    e2e_run_free(&r);
}

Test(cli_preview, sixel_through_libsixel)
{
    e2e_run r = preview("sixel", "32");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *s = strstr(r.out, "\033P");
    cr_assert_not_null(s, "%s", r.out);
    cr_assert_not_null(strstr(s, "q\"1;1;48;32"), "raster attributes: %.40s",
                       s);
    cr_assert_not_null(strstr(s, "\033\\"), "unterminated sixel");
    e2e_run_free(&r);
}

Test(cli_preview, falls_back_to_a_note)
{
    e2e_run r = preview(NULL, "32"); /* stdout is a file here */
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "note: --preview: previews need a terminal"), "%s",
              r.err);
    cr_assert_null(strchr(r.out, '\033'), "escapes without a terminal");
    e2e_run_free(&r);
    r = preview("kitty", "8");
    cr_assert_eq(r.status, 2, "-H below 16 is refused");
    e2e_run_free(&r);
}

/* A real terminal that shows no images (tmux): detection says so, and the
 * device-attributes answer does not leak onto the screen. */
Test(cli_preview, detection_under_a_terminal_without_graphics)
{
    if (e2e_sh("command -v tmux > /dev/null"))
        cr_skip_test("tmux is not installed (scripts/debian-packages.txt)");
    char out[700];
    snprintf(out, sizeof out, "%s/screen.txt", ws.root);
    int rc = e2e_sh(
        "s=vlm-prev-$$; tmux -L $s new-session -d -x 100 -y 20 \"env -u "
        "VLMINDEX_PREVIEW TERM=screen '%s/bin/vlmsearch' -C '%s' -n 1 -p "
        "cat; echo END; sleep 30\" && for i in $(seq 100); do tmux -L $s "
        "capture-pane -p > '%s'; grep -q END '%s' && break; sleep 0.1; "
        "done; tmux -L $s kill-server",
        getenv("VLM_BUILD_DIR"), ws.coll, out, out);
    cr_assert_eq(rc, 0);
    FILE *f = fopen(out, "r");
    char screen[8192] = "";
    size_t n = fread(screen, 1, sizeof screen - 1, f);
    screen[n] = 0;
    fclose(f);
    cr_assert(strstr(screen, "note: --preview: this terminal shows no images"),
              "%s", screen);
    cr_assert_null(strstr(screen, "[?"), "a DA1 answer leaked: %s", screen);
    cr_assert(strstr(screen, "/cat.jpg"), "%s", screen);
}

Test(cli_preview, osc8_hyperlinks)
{
    setenv("VLMINDEX_HYPERLINKS", "1", 1);
    const char *args[] = {"-C", ws.coll, "-n", "1", "cat", NULL};
    e2e_run r = e2e_exec("vlmsearch", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\033]8;;file://"), "%s", r.out);
    cr_assert(strstr(r.out, "/one%20dir/cat.jpg\033\\"), "%s", r.out);
    cr_assert(strstr(r.out, "/one dir/cat.jpg\033]8;;\033\\\n"), "%s", r.out);
    e2e_run_free(&r);
    const char *json[] = {"-C", ws.coll, "-n", "1", "-f", "jsonl", "cat", NULL};
    r = e2e_exec("vlmsearch", json);
    cr_assert_null(strchr(r.out, '\033'), "links in JSON: %s", r.out);
    e2e_run_free(&r);
}
