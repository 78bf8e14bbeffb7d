/* http_test_server.c — see http_test_server.h.  Test code: aborts on setup
 * failures, handles one connection at a time, "Connection: close". */
#include "http_test_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/weights/sha256_file.h"

struct hts {
    char *root, *prefix;
    int listen_fd, port;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t mu;
    hts_knobs knobs;
    int requests;
    int64_t last_range;
};

static void send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return; /* client went away */
        p += w;
        n -= (size_t)w;
    }
}

static void send_status(int fd, int code, const char *reason)
{
    char h[256];
    int n = snprintf(h, sizeof h,
                     "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     code, reason, strlen(reason), reason);
    send_all(fd, h, (size_t)n);
}

/* Reads until the end of the request headers. */
static int read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = 0;
        if (strstr(buf, "\r\n\r\n")) return 0;
    }
    return -1;
}

static int64_t parse_range(const char *req)
{
    const char *r = strcasestr(req, "\r\nRange: bytes=");
    return r ? strtoll(r + strlen("\r\nRange: bytes="), NULL, 10) : -1;
}

static void send_file(hts *s, int fd, const char *path, int64_t range,
                      const hts_knobs *k)
{
    struct stat st;
    FILE *fp = fopen(path, "rb");
    if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fp) fclose(fp);
        send_status(fd, 404, "Entry not found");
        return;
    }
    int64_t size = st.st_size, from = k->ignore_range || range < 0 ? 0 : range;
    if (from > size || (range >= 0 && from == size && !k->ignore_range)) {
        char h[160];
        int n = snprintf(h, sizeof h,
                         "HTTP/1.1 416 Range Not Satisfiable\r\n"
                         "Content-Range: bytes */%lld\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         (long long)size);
        send_all(fd, h, (size_t)n);
        fclose(fp);
        return;
    }
    char h[1024], extra[256] = "";
    int e = 0;
    if (k->send_sha256) {
        char hex[VLM_SHA256_HEX_LEN + 1];
        if (vlm_sha256_file(path, hex, NULL) != 0) abort();
        if (k->send_sha256 == 2) hex[0] = hex[0] == '0' ? '1' : '0';
        e += snprintf(extra + e, sizeof extra - (size_t)e,
                      "X-Linked-Etag: \"%s\"\r\n", hex);
    }
    if (k->size_lie)
        e += snprintf(extra + e, sizeof extra - (size_t)e,
                      "X-Linked-Size: %lld\r\n",
                      (long long)(size + k->size_lie));
    int n;
    if (from > 0)
        n = snprintf(h, sizeof h,
                     "HTTP/1.1 206 Partial Content\r\nContent-Length: %lld\r\n"
                     "Content-Range: bytes %lld-%lld/%lld\r\n%sConnection: "
                     "close\r\n\r\n",
                     (long long)(size - from), (long long)from,
                     (long long)size - 1, (long long)size, extra);
    else
        n = snprintf(h, sizeof h,
                     "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
                     "ETag: \"not-a-sha\"\r\n%sConnection: close\r\n\r\n",
                     (long long)size, extra);
    send_all(fd, h, (size_t)n);
    fseek(fp, (long)from, SEEK_SET);
    int64_t budget = k->cut_after > 0 ? k->cut_after : INT64_MAX;
    char buf[65536];
    size_t r;
    while (budget > 0 && (r = fread(buf, 1, sizeof buf, fp)) > 0) {
        if ((int64_t)r > budget) r = (size_t)budget;
        send_all(fd, buf, r);
        budget -= (int64_t)r;
        if (k->bytes_per_s > 0) /* a slow link */
            usleep((useconds_t)((int64_t)r * 1000000 / k->bytes_per_s));
    }
    fclose(fp);
    (void)s;
}

static void handle(hts *s, int fd)
{
    char req[8192];
    if (read_request(fd, req, sizeof req) != 0) return;
    pthread_mutex_lock(&s->mu);
    hts_knobs k = s->knobs;
    s->requests++;
    s->last_range = parse_range(req);
    int64_t range = s->last_range;
    pthread_mutex_unlock(&s->mu);

    char method[16], target[2048];
    if (sscanf(req, "%15s %2047s", method, target) != 2 ||
        strcmp(method, "GET") != 0) {
        send_status(fd, 405, "Method not allowed");
        return;
    }
    if (k.require_token &&
        !strcasestr(req, "\r\nAuthorization: Bearer secret\r\n")) {
        send_status(fd, 401, "Unauthorized");
        return;
    }
    size_t pl = strlen(s->prefix);
    if (strncmp(target, s->prefix, pl) != 0 || strstr(target, "..")) {
        send_status(fd, 404, "Repository not found");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->root, target + pl);
    send_file(s, fd, path, range, &k);
}

static void *serve(void *arg)
{
    hts *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        handle(s, fd);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

hts *hts_start(const char *root, const char *prefix)
{
    hts *s = calloc(1, sizeof *s);
    s->root = strdup(root);
    s->prefix = strdup(prefix);
    s->last_range = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = 0,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s->listen_fd < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->listen_fd, 16) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, serve, s) != 0) abort();
    return s;
}

void hts_stop(hts *s)
{
    if (!s) return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->mu);
    free(s->root);
    free(s->prefix);
    free(s);
}

int hts_port(const hts *s) { return s->port; }

void hts_set_knobs(hts *s, const hts_knobs *k)
{
    pthread_mutex_lock(&s->mu);
    s->knobs = *k;
    pthread_mutex_unlock(&s->mu);
}

int hts_requests(const hts *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    int n = s->requests;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return n;
}

int64_t hts_last_range(const hts *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    int64_t r = s->last_range;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return r;
}
