/* vlmindex render: write what the model sees for one file (before resize)
 * as a PNG: DICOM through the display pipeline, photos as decoded. */
#include <getopt.h>
#include <stdio.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "model/dicom/dicom.h"

static const char render_usage[] =
    "usage: vlmindex render FILE -o OUT.png [--window W] [--verbose]\n"
    "  writes the 8-bit RGB picture the model is given for FILE, before\n"
    "  resizing: DICOM (first frame) through its Modality LUT, VOI and\n"
    "  colour pipeline; other images as decoded at full resolution.\n"
    "  --window W   DICOM window: lung, mediastinum, bone, stored, full,\n"
    "               minmax, default, or CENTER,WIDTH[,linear|linear-exact|\n"
    "               sigmoid] (default: per modality, as `vlmindex add`)\n"
    "  --verbose    print the DICOM header fields used (no patient data)\n";

static void print_summary(const char *out, const img_rgb *im,
                          const dicom_header *h, int is_dicom, int verbose)
{
    char win[96] = "none (colour)";
    if (is_dicom && h->windowed)
        dicom_window_describe(&h->window, win, sizeof win);
    if (is_dicom)
        printf("%s: %dx%d, %s, %s, window %s\n", out, im->width, im->height,
               h->photometric, h->transfer_syntax, win);
    else
        printf("%s: %dx%d\n", out, im->width, im->height);
    if (verbose && is_dicom) {
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
    dicom_load_opts o = {0};
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
    img_rgb im;
    dicom_header h;
    int is_dicom = 0;
    int rc = dicom_render_file(argv[optind], &o, &im, &h, &is_dicom, err);
    if (!rc) rc = img_write_png(out, &im, err);
    if (!rc) print_summary(out, &im, &h, is_dicom, verbose);
    img_rgb_free(&im);
    return cli_exit_code(rc, err);
}
