#include "bin/cli_terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int env_has(const char *name, const char *word)
{
    const char *v = getenv(name);
    return v && strcasestr(v, word);
}

/* Reads the reply to ESC [ c (up to its final 'c'), 300 ms at most. */
static int read_da1(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n + 1 < cap && poll(&p, 1, 300) > 0) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        buf[n] = 0;
        if (strchr(buf, 'c')) break;
    }
    buf[n] = 0;
    return (int)n;
}

/* Does the terminal say it speaks sixel (attribute 4 in its DA1)? */
static int asks_sixel(void)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    struct termios old, raw;
    if (fd < 0 || tcgetattr(fd, &old) != 0) {
        if (fd >= 0) close(fd);
        return 0;
    }
    raw = old;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &raw);
    char buf[128] = "";
    if (write(fd, "\033[c", 3) == 3) read_da1(fd, buf, sizeof buf);
    tcsetattr(fd, TCSANOW, &old);
    close(fd);
    const char *p = strstr(buf, "\033[?");
    for (p = p ? p + 3 : NULL; p && *p && *p != 'c';) {
        if (atoi(p) == 4) return 1;
        p += strspn(p, "0123456789");
        if (*p == ';') p++;
    }
    return 0;
}

static int forced(const char *v, preview_protocol *out)
{
    static const char *const names[] = {"none", "kitty", "iterm", "sixel"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(v, names[i])) {
            *out = (preview_protocol)i;
            return 1;
        }
    return 0;
}

preview_protocol cli_preview_protocol(const char **why)
{
    const char *v = getenv("VLMINDEX_PREVIEW");
    preview_protocol p;
    *why = "this terminal shows no images (kitty, iTerm2, WezTerm or a sixel "
           "terminal do; VLMINDEX_PREVIEW=kitty|iterm|sixel forces one)";
    if (v && *v && forced(v, &p)) return p;
    if (!isatty(1)) {
        *why = "previews need a terminal on stdout";
        return PREVIEW_NONE;
    }
    if (env_has("TERM", "kitty") || env_has("TERM", "ghostty") ||
        env_has("TERM_PROGRAM", "ghostty") || getenv("KITTY_WINDOW_ID"))
        return PREVIEW_KITTY;
    if (env_has("TERM_PROGRAM", "iTerm") || env_has("LC_TERMINAL", "iTerm") ||
        env_has("TERM_PROGRAM", "WezTerm"))
        return PREVIEW_ITERM;
    return asks_sixel() ? PREVIEW_SIXEL : PREVIEW_NONE;
}

int cli_hyperlinks(void)
{
    const char *v = getenv("VLMINDEX_HYPERLINKS");
    if (v && *v) return strcmp(v, "0") != 0;
    if (!isatty(1)) return 0;
    const char *vte = getenv("VTE_VERSION");
    return env_has("TERM_PROGRAM", "iTerm") ||
           env_has("TERM_PROGRAM", "WezTerm") ||
           env_has("TERM_PROGRAM", "vscode") ||
           env_has("TERM_PROGRAM", "ghostty") || env_has("TERM", "kitty") ||
           env_has("TERM", "foot") || getenv("KONSOLE_VERSION") ||
           getenv("WT_SESSION") || (vte && atoi(vte) >= 5000);
}
