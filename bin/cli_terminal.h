/*
 * cli_terminal.h — what the terminal on stdout can show: inline images
 * (for --preview) and OSC 8 hyperlinks.
 *
 * Images: $VLMINDEX_PREVIEW=kitty|iterm|sixel|none decides when set;
 * otherwise only a terminal on stdout is asked: kitty's graphics protocol
 * when $TERM or $TERM_PROGRAM names kitty or Ghostty (or $KITTY_WINDOW_ID
 * is set), iTerm2 inline images for iTerm2 and WezTerm, else sixel when the
 * terminal's primary device attributes (ESC [ c) list 4, read from
 * /dev/tty with a short timeout.  Hyperlinks: $VLMINDEX_HYPERLINKS=0|1
 * decides when set; otherwise a terminal on stdout known to show them
 * (iTerm2, WezTerm, kitty, Ghostty, foot, VTE >= 0.50, Konsole, Windows
 * Terminal, VS Code).
 */
#ifndef VLM_CLI_TERMINAL_H
#define VLM_CLI_TERMINAL_H

#include "query/result_format.h"

/* *why: a note for the user when the answer is PREVIEW_NONE. */
preview_protocol cli_preview_protocol(const char **why);

int cli_hyperlinks(void);

#endif
