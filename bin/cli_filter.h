/*
 * cli_filter.h — the metadata filter options (--after, --before, --camera,
 * --type, --min-size) that vlmsearch, classify, dupes and export share.
 * A command embeds a cli_filter in its args struct and puts
 * CLI_FILTER_OPTS(its struct, the field) in its option table.
 */
#ifndef VLM_CLI_FILTER_H
#define VLM_CLI_FILTER_H

#include <stddef.h>

#include "bin/cli_args.h"
#include "schema/collection.h"

#define CLI_FILTER_MAX_TYPES 16

typedef struct cli_types {
    const char *v[CLI_FILTER_MAX_TYPES];
    int n;
} cli_types;

typedef struct cli_size {
    int w, h;
} cli_size;

typedef struct cli_filter {
    char after[20], before[20]; /* "" = not given */
    const char *camera;
    cli_types types;
    cli_size min_size;
} cli_filter;

int cli_parse_date(const char *text, void *field, char *err);
int cli_parse_type(const char *text, void *field, char *err);
int cli_parse_size(const char *text, void *field, char *err);

/* The filter as the collection takes it, or NULL when none is given. */
const collection_filter *cli_filter_get(const cli_filter *f,
                                        collection_filter *buf);

/* clang-format off */
#define CLI_FILTER_OPTS(T, F) \
    CLI_OPT_SECTION("Filters (date taken, camera, format, size; any combination):"), \
    CLI_OPT_PARSE(0, "after", offsetof(T, F.after), "DATE", cli_parse_date, \
                  "taken at or after DATE (EXIF date, else the file's\n" \
                  "mtime): YYYY, YYYY-MM, YYYY-MM-DD[ HH:MM[:SS]]"), \
    CLI_OPT_PARSE(0, "before", offsetof(T, F.before), "DATE", cli_parse_date, \
                  "taken before DATE"), \
    CLI_OPT_TEXT(0, "camera", offsetof(T, F.camera), "TEXT", \
                 "the camera's make or model contains TEXT"), \
    CLI_OPT_PARSE(0, "type", offsetof(T, F.types), "FMT", cli_parse_type, \
                  "jpeg | png | webp | gif | tiff | bmp | pnm | dicom\n" \
                  "(repeatable: any of them)"), \
    CLI_OPT_PARSE(0, "min-size", offsetof(T, F.min_size), "WxH", \
                  cli_parse_size, "at least W pixels wide and H high")
/* clang-format on */

#endif
