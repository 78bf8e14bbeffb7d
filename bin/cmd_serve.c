/* vlmindex serve: the web page and JSON API until Ctrl-C / SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bin/cli_common.h"
#include "bin/cmd_watch.h"
#include "bin/commands.h"
#include "server/server.h"

#define MAX_COLLECTIONS 16

static const char serve_usage[] =
    "usage: vlmindex serve [options]\n"
    "  A web page and JSON API (docs/api.md) over one or more collections,\n"
    "  with the model and indexes kept warm.\n"
    "  -C, --collection DIR   a collection to serve (repeatable; default: the "
    "default one)\n"
    "  -l, --listen ADDR:PORT (default 127.0.0.1:8765; port 0 = any free "
    "one)\n"
    "      --token-file FILE  require \"Authorization: Bearer TOKEN\" "
    "(mandatory\n"
    "                         for a non-loopback address; file mode 0600)\n"
    "      --tls-cert PEM --tls-key PEM   HTTPS\n"
    "      --cors ORIGIN      let the web page at ORIGIN call the API (off)\n"
    "      --watch            keep the collections' roots in step (see "
    "`watch`)\n" WATCH_USAGE
    "      --readers N        handles per collection: searches at once (2)\n"
    "      --cache N          text query vectors kept (4096; 0 = none)\n"
    "      --max-body MB      image upload limit (16)\n"
    "      --max-query N      characters of a query (1000)\n"
    "      --max-connections N (64)   --timeout S  idle connections (30)\n"
    "      --thumb-size PX    longest side of thumbnails (256)\n"
    "  -x, --exclude GLOB  -w, --window W   as for `add` (with --watch)\n"
    "  -M, --model DIR|NAME  -T, --tokenizer DIR  -j, --threads N (1)  "
    "--bf16\n"
    "      --offline   -q, --quiet\n";

enum {
    OPT_TOKEN = 0x2000,
    OPT_CERT,
    OPT_KEY,
    OPT_CORS,
    OPT_WATCH,
    OPT_READERS,
    OPT_CACHE,
    OPT_MAX_BODY,
    OPT_MAX_QUERY,
    OPT_MAX_CONN,
    OPT_TIMEOUT,
    OPT_THUMB,
};

typedef struct serve_args {
    cli_common common;
    watch_args watch;
    const char *dirs[MAX_COLLECTIONS];
    int n_dirs;
    server_config cfg;
} serve_args;

static int serve_option(serve_args *a, int opt, const char *arg)
{
    server_config *c = &a->cfg;
    switch (opt) {
    case 'C':
        if (a->n_dirs == MAX_COLLECTIONS) return -1;
        a->dirs[a->n_dirs++] = arg;
        return 1;
    case 'l': c->listen = arg; return 1;
    case OPT_TOKEN: c->token_file = arg; return 1;
    case OPT_CERT: c->tls_cert = arg; return 1;
    case OPT_KEY: c->tls_key = arg; return 1;
    case OPT_CORS: c->cors_origin = arg; return 1;
    case OPT_WATCH: c->watch = true; return 1;
    case OPT_READERS: c->readers = atoi(arg); return 1;
    case OPT_CACHE: c->cache_entries = atoi(arg) > 0 ? atoi(arg) : -1; return 1;
    case OPT_MAX_BODY: c->max_body = (size_t)atoi(arg) << 20; return 1;
    case OPT_MAX_QUERY: c->max_query = atoi(arg); return 1;
    case OPT_MAX_CONN: c->max_connections = atoi(arg); return 1;
    case OPT_TIMEOUT: c->timeout_s = atoi(arg); return 1;
    case OPT_THUMB: c->thumb_size = atoi(arg); return 1;
    }
    return watch_args_option(&a->watch, opt, arg);
}

static int parse(int argc, char **argv, serve_args *a)
{
    static const struct option longopts[] = {
        {"listen", required_argument, 0, 'l'},
        {"token-file", required_argument, 0, OPT_TOKEN},
        {"tls-cert", required_argument, 0, OPT_CERT},
        {"tls-key", required_argument, 0, OPT_KEY},
        {"cors", required_argument, 0, OPT_CORS},
        {"watch", no_argument, 0, OPT_WATCH},
        {"readers", required_argument, 0, OPT_READERS},
        {"cache", required_argument, 0, OPT_CACHE},
        {"max-body", required_argument, 0, OPT_MAX_BODY},
        {"max-query", required_argument, 0, OPT_MAX_QUERY},
        {"max-connections", required_argument, 0, OPT_MAX_CONN},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"thumb-size", required_argument, 0, OPT_THUMB},
        {"exclude", required_argument, 0, 'x'},
        {"window", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        WATCH_LONGOPTS,
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "l:x:w:h" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        int r = serve_option(a, opt, optarg);
        if (r > 0 || (!r && cli_common_option(&a->common, opt, optarg)))
            continue;
        if (opt == 'h') {
            fputs(serve_usage, stdout);
            exit(0);
        }
        fputs(r < 0 ? "vlmindex serve: bad option value\n" : serve_usage,
              stderr);
        return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "vlmindex serve: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    return 0;
}

static void log_line(void *user, const char *line)
{
    (void)user;
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    fprintf(stderr, "%s %s\n", when, line);
    fflush(stderr);
}

int cmd_serve(int argc, char **argv)
{
    serve_args a = {0};
    cli_common_init(&a.common);
    a.common.threads = 1; /* queries: concurrency comes from requests */
    a.common.fp32 = VLM_PREC_F32_PACKED; /* resident: pack once, run faster */
    a.cfg = server_config_default();
    if (parse(argc, argv, &a)) return EXIT_ERROR;
    cli_install_signal_handlers();
    a.cfg.collections = a.dirs;
    a.cfg.n_collections = a.n_dirs;
    a.cfg.session = cli_session_config(&a.common, SESSION_READ,
                                       SESSION_NO_INDEX, CLIP_PART_ALL);
    a.cfg.session.fetch_default = a.cfg.watch;
    a.cfg.watch_opts = a.watch.w;
    /* Small batches: a query never waits long behind indexing. */
    if (!a.watch.batch) a.watch.batch = 4;
    a.cfg.index_opts = watch_indexer_options(&a.watch, a.common.threads);
    a.cfg.log = a.common.quiet ? NULL : log_line;
    char err[VLM_ERR_MAX] = "";
    server *s = NULL;
    int rc = server_start(&a.cfg, &s, err);
    cli_progress_done(a.common.quiet);
    if (rc) return cli_exit_code(rc, err);
    printf("serving at %s\n", server_url(s));
    fflush(stdout);
    while (!cli_cancel) usleep(100 * 1000);
    server_stop(s);
    return 0;
}
