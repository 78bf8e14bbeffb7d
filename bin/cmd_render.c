/* vlmindex render: write what the model sees for one file (before resize)
 * as a PNG, through media_decode() like indexing: DICOM through the
 * display pipeline, photos as decoded. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "media/media_file.h"

static const char render_usage[] =
    "usage: vlmindex render FILE -o OUT.png [--window W] [--verbose]\n"
    "  writes the 8-bit RGB picture the model is given for FILE, before\n"
    "  resizing: DICOM (first frame) through its Modality LUT, VOI and\n"
    "  colour pipeline; other images as decoded at full resolution.\n"
    "  --window W   DICOM window: lung, mediastinum, bone, stored, full,\n"
    "               minmax, default, or CENTER,WIDTH[,linear|linear-exact|\n"
    "               sigmoid] (default: per modality, as `vlmindex add`)\n"
    "  --verbose    print the DICOM header fields used (no patient data)\n";

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

int cmd_render(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"window", required_argument, 0, 'w'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *out = NULL;
    int verbose = 0, opt;
    char err[VLM_ERR_MAX] = "";
    media_decode_opts o = {0}; /* exact: full resolution */
    while ((opt = getopt_long(argc, argv, "o:w:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'w':
            if (dicom_window_parse(optarg, &o.window, err))
                return cli_exit_code(VLM_EINVAL, err);
            break;
        case 'v': verbose = 1; break;
        case 'h': fputs(render_usage, stdout); return 0;
        default: fputs(render_usage, stderr); return EXIT_ERROR;
        }
    }
    if (optind != argc - 1 || !out) {
        fputs(render_usage, stderr);
        return EXIT_ERROR;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    media_image m = {0};
    int rc = media_read_file(argv[optind], 0, &bytes, &len, err);
    if (!rc) rc = media_decode(bytes, len, argv[optind], &o, &m, err);
    if (rc == VLM_EUNSUPPORTED && !err[0])
        snprintf(err, sizeof err, "%s: not an image", argv[optind]);
    if (!rc) rc = img_write_png(out, &m.rgb, err);
    if (!rc) print_summary(out, &m, verbose);
    media_image_free(&m);
    free(bytes);
    return cli_exit_code(rc, err);
}
