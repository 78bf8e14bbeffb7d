/*
 * cli_progress.h — the progress display of long commands (add, update,
 * caption, downloads), on stderr.
 *
 * Modes (--progress, cli_common.progress):
 *   tty    one line redrawn in place at least every 250 ms from the first
 *          update on: it never wraps (the terminal's width is read at each
 *          draw; the file name is shortened from the left, then the bar,
 *          ETA and rate are dropped as the width shrinks), so nothing is
 *          left behind, and it is cleared at the end;
 *   plain  a line every CLI_PROGRESS_PLAIN_S seconds (and at the first
 *          update), for logs and pipes;
 *   none   nothing (-q also means none);
 *   auto   tty when stderr is a terminal, else plain.
 * A drawing thread owns the screen; callers only publish the state
 * (cheap: one lock and a copy) and print other lines through
 * cli_progress_note, which clears the progress line first.
 */
#ifndef VLM_CLI_PROGRESS_H
#define VLM_CLI_PROGRESS_H

#include <stdint.h>

#define CLI_PROGRESS_PLAIN_S 5.0

struct cli_common;

typedef enum cli_progress_mode {
    CLI_PROGRESS_AUTO,
    CLI_PROGRESS_TTY,
    CLI_PROGRESS_PLAIN,
    CLI_PROGRESS_NONE,
} cli_progress_mode;

/* The words of --progress, in cli_progress_mode order. */
extern const char *const cli_progress_modes[];

typedef struct cli_status {
    const char *unit;    /* "images", "captions"...; NULL: bytes (MB) */
    int64_t done, total; /* total 0: not known yet */
    double elapsed;      /* seconds of work behind `done` (0: measured
                            here from the first update) */
    const char *phase;   /* "scanning", "decoding", ... or NULL */
    const char *name;    /* the current file or item, or NULL */
} cli_status;

/* Chooses the mode from the options (call before any update). */
void cli_progress_setup(const struct cli_common *o);

/* Publishes the state; the first call starts the display. */
void cli_progress_update(const cli_status *st);

/* Prints "<prefix><msg>" (msg escaped) on its own line above the
 * progress line. */
void cli_progress_note(const char *prefix, const char *msg);

/* Clears the line and holds the display until cli_progress_release, to
 * print results on a terminal the progress line shares. */
void cli_progress_hold(void);
void cli_progress_release(void);

/* Clears the line and stops the display (a later update starts again). */
void cli_progress_end(void);

#endif
