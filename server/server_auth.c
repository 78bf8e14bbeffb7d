#include "server/server_auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_port(const char *s, int *port, char *err)
{
    char *end;
    long p = strtol(s, &end, 10);
    if (!*s || *end || p < 0 || p > 65535) {
        vlm_set_err(err, "bad port '%s' (0-65535)", s);
        return VLM_EINVAL;
    }
    *port = (int)p;
    return VLM_OK;
}

/* Splits "host:port" / "[v6]:port" / "host" / ":port". */
static int split_listen(const char *text, char *host, size_t n, int *port,
                        char *err)
{
    const char *colon = NULL;
    *port = 8765;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] && close[1] != ':')) goto bad;
        snprintf(host, n, "%.*s", (int)(close - text - 1), text + 1);
        colon = close[1] ? close + 1 : NULL;
    } else {
        colon = strrchr(text, ':');
        if (colon && strchr(text, ':') != colon) goto bad; /* bare IPv6 */
        snprintf(host, n, "%.*s",
                 colon ? (int)(colon - text) : (int)strlen(text), text);
        if (!host[0]) snprintf(host, n, "127.0.0.1");
    }
    return colon ? parse_port(colon + 1, port, err) : VLM_OK;
bad:
    vlm_set_err(err, "bad listen address '%s' (ADDR:PORT or [IPv6]:PORT)",
                text);
    return VLM_EINVAL;
}

int server_parse_listen(const char *text, server_listen *out, char *err)
{
    char host[128];
    memset(out, 0, sizeof *out);
    int rc = split_listen(text ? text : SERVER_DEFAULT_LISTEN, host,
                          sizeof host, &out->port, err);
    if (rc) return rc;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)out->port);
        out->len = sizeof *v4;
        out->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return VLM_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)out->port);
        out->len = sizeof *v6;
        out->ipv6 = true;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return VLM_OK;
    }
    vlm_set_err(err, "'%s' is not a numeric IP address", host);
    return VLM_EINVAL;
}

int server_read_token(const char *path, char *token, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        vlm_set_err(err, "%s: cannot read the token file", path);
        if (fd >= 0) close(fd);
        return VLM_EIO;
    }
    ssize_t n = (st.st_mode & 077) ? -1 : read(fd, token, SERVER_TOKEN_MAX);
    close(fd);
    if (st.st_mode & 077) {
        vlm_set_err(err, "%s: the token file is readable by others (chmod 600)",
                    path);
        return VLM_EINVAL;
    }
    if (n < 0 || n >= SERVER_TOKEN_MAX) n = -1;
    while (n > 0 && isspace((unsigned char)token[n - 1])) n--;
    if (n >= 0) token[n] = 0;
    for (ssize_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)token[i])) n = -1;
    if (n < 16) {
        vlm_set_err(err,
                    "%s: the token must be one line of 16 to %d visible "
                    "characters",
                    path, SERVER_TOKEN_MAX - 1);
        return VLM_EINVAL;
    }
    return VLM_OK;
}

bool server_bearer_ok(const char *header, const char *token)
{
    if (!header || strncasecmp(header, "Bearer ", 7)) return false;
    const char *given = header + 7;
    size_t n = strlen(token), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++) /* constant time over the token */
        diff |= (unsigned char)(token[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

bool server_host_is_loopback(const char *host)
{
    if (!host) return false;
    char name[128];
    const char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
    size_t n = end ? (size_t)(end - host) + (host[0] == '[') : strlen(host);
    if (n >= sizeof name) return false;
    snprintf(name, sizeof name, "%.*s", (int)n, host);
    if (end && host[0] == '[' && end[1] && end[1] != ':') return false;
    if (!strcasecmp(name, "localhost")) return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, name, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (name[0] == '[') {
        name[n - 1] = 0;
        return inet_pton(AF_INET6, name + 1, &a6) == 1 &&
               IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return false;
}

bool server_origin_ok(const char *origin, const char *host, bool tls,
                      const char *allowed)
{
    if (!origin) return true; /* not a cross-site browser request */
    if (allowed && !strcmp(origin, allowed)) return true;
    if (!host) return false;
    const char *scheme = tls ? "https://" : "http://";
    size_t s = strlen(scheme);
    return !strncmp(origin, scheme, s) && !strcmp(origin + s, host);
}
