/* vlmindex render: write what the model sees for one file (before resize)
 * as a PNG, through media_decode() like indexing: DICOM through the
 * display pipeline, photos as decoded. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "media/media_file.h"

typedef struct render_args {
    cli_common common;
    const char *output;
    dicom_window window;
    int verbose;
} render_args;

#define RA(field) offsetof(render_args, field)

static int parse_window(const char *text, void *field, char *err)
{
    return dicom_window_parse(text, field, err);
}

static const cli_opt render_opts[] = {
    CLI_OPT_TEXT('o', "output", RA(output), "OUT.png",
                 "the PNG to write (required)"),
    CLI_OPT_PARSE('w', "window", RA(window), "W", parse_window,
                  "DICOM VOI window: lung | mediastinum | bone | stored |\n"
                  "full | minmax | default | C,W[,linear|linear-exact|\n"
                  "sigmoid] (default: as vlmindex add)"),
    CLI_OPT_FLAG('v', "verbose", RA(verbose),
                 "print the DICOM header fields used (never patient\n"
                 "data)"),
    CLI_OPT_END};

static const cli_opt *const render_tables[] = {render_opts, NULL};

static const cli_command render_cmd = {
    .name = "vlmindex render",
    .synopsis = "FILE -o OUT.png [--window W] [--verbose]",
    .about = "Writes the 8-bit RGB picture the model is given for FILE,\n"
             "before resizing: DICOM (first frame) through its Modality LUT,\n"
             "VOI and colour pipeline; other images as decoded at full\n"
             "resolution.",
    .tables = render_tables,
    .min_args = 1,
    .max_args = 1,
    .args_name = "FILE",
};

static void print_summary(const char *out, const media_image *m, int verbose)
{
    const dicom_header *h = m->dicom;
    char win[96] = "none (colour)";
    if (h && h->windowed) dicom_window_describe(&h->window, win, sizeof win);
    if (h)
        printf("%s: %dx%d, %s, %s, window %s\n", out, m->rgb.width,
               m->rgb.height, h->photometric, h->transfer_syntax, win);
    else
        printf("%s: %dx%d, %s\n", out, m->rgb.width, m->rgb.height, m->format);
    if (verbose && h) {
        char text[2048];
        dicom_header_format(h, text, sizeof text);
        fputs(text, stdout);
    }
}

/* Decodes exactly (full resolution) and writes the PNG. */
static int render(const render_args *a, const char *path, char *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    media_image m = {0};
    media_decode_opts o = {.window = a->window};
    int rc = media_read_file(path, 0, &bytes, &len, err);
    if (!rc) rc = media_decode(bytes, len, path, &o, &m, err);
    if (rc == VLM_EUNSUPPORTED && !err[0])
        vlm_set_err(err, "%s: not an image", path);
    if (!rc) rc = img_write_png(a->output, &m.rgb, err);
    if (!rc) print_summary(a->output, &m, a->verbose);
    media_image_free(&m);
    free(bytes);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    render_args a = {0};
    cli_positional pos;
    int code;
    cli_common_init(&a.common);
    if (cli_parse(&render_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        cli_args_free(&render_cmd, &a, &pos);
        return code;
    }
    char err[VLM_ERR_MAX] = "";
    if (!a.output)
        code =
            cli_usage_error(&render_cmd, "give the PNG to write: -o OUT.png");
    else
        code = cli_exit_code(render(&a, pos.v[0], err), err);
    cli_args_free(&render_cmd, &a, &pos);
    return code;
}
