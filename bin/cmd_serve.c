/* vlmindex serve: the web page and JSON API until Ctrl-C / SIGTERM. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bin/cli_common.h"
#include "bin/cmd_watch.h"
#include "bin/commands.h"
#include "server/server.h"

typedef struct serve_args {
    watch_args watch; /* first: watch_cli_opts point into it */
    cli_list collections;
    const char *listen, *token_file, *tls_cert, *tls_key, *cors;
    int watching, readers, cache, max_body_mb, max_query, max_connections;
    int timeout_s, thumb_size;
    cli_common common;
} serve_args;

#define SA(field) offsetof(serve_args, field)

static const cli_opt serve_opts[] = {
    CLI_OPT_LIST('C', "collection", SA(collections), "DIR",
                 "a collection to serve (repeatable; default: the\n"
                 "default collection)"),
    CLI_OPT_TEXT('l', "listen", SA(listen), "ADDR:PORT",
                 "127.0.0.1:8765 unless given; port 0: any free one"),
    CLI_OPT_TEXT(0, "token-file", SA(token_file), "FILE",
                 "require \"Authorization: Bearer TOKEN\" (mandatory\n"
                 "off loopback; the file must be mode 0600)"),
    CLI_OPT_TEXT(0, "tls-cert", SA(tls_cert), "PEM", "HTTPS: the certificate"),
    CLI_OPT_TEXT(0, "tls-key", SA(tls_key), "PEM", "HTTPS: its private key"),
    CLI_OPT_TEXT(0, "cors", SA(cors), "ORIGIN",
                 "let the web page at ORIGIN call the API (off)"),
    CLI_OPT_FLAG(0, "watch", SA(watching),
                 "keep the collections' roots in step (see below)"),
    CLI_OPT_SECTION("Limits and tuning:"),
    CLI_OPT_INT(0, "readers", SA(readers), "N", 1, 64,
                "searches at once per collection (2)"),
    CLI_OPT_INT(0, "cache", SA(cache), "N", 0, 1000000,
                "text query vectors kept (4096; 0: none)"),
    CLI_OPT_INT(0, "max-body", SA(max_body_mb), "MB", 1, 1024,
                "image upload limit (16)"),
    CLI_OPT_INT(0, "max-query", SA(max_query), "N", 1, 100000,
                "characters of a query (1000)"),
    CLI_OPT_INT(0, "max-connections", SA(max_connections), "N", 1, 10000,
                "open connections at most (64)"),
    CLI_OPT_INT(0, "timeout", SA(timeout_s), "S", 1, 3600,
                "idle or stalled connections are dropped (30)"),
    CLI_OPT_INT(0, "thumb-size", SA(thumb_size), "PX", 32, 1024,
                "longest side of thumbnails (256)"),
    CLI_OPT_END};

static const cli_opt *const serve_tables[] = {
    serve_opts, cli_index_opts, watch_cli_opts, cli_writer_opts, NULL};

static const cli_command serve_cmd = {
    .name = "vlmindex serve",
    .synopsis = "[options]",
    .about =
        "A web page and JSON API (docs/api.md) over one or more collections,\n"
        "with the model and indexes kept warm.  Loopback only unless\n"
        "--listen says otherwise (then --token-file is required).  Prints\n"
        "\"serving at URL\" and runs until Ctrl-C or SIGTERM; -j defaults to 1\n"
        "and --batch to 4 here (queries run alongside indexing).",
    .tables = serve_tables,
    .max_args = 0,
};

static void log_line(void *user, const char *line)
{
    (void)user;
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    fprintf(stderr, "%s ", when);
    text_write(stderr, line, TEXT_DISPLAY);
    fputc('\n', stderr);
    fflush(stderr);
}

static server_config serve_config(serve_args *a)
{
    server_config c = server_config_default();
    c.collections = a->collections.v;
    c.n_collections = a->collections.n;
    c.session = cli_session_config(&a->common, SESSION_READ, SESSION_NO_INDEX,
                                   CLIP_PART_ALL);
    c.session.fetch_default = a->watching;
    c.listen = a->listen;
    c.token_file = a->token_file;
    c.tls_cert = a->tls_cert;
    c.tls_key = a->tls_key;
    c.cors_origin = a->cors;
    c.max_body = (size_t)a->max_body_mb << 20;
    c.max_query = a->max_query;
    c.max_connections = a->max_connections;
    c.timeout_s = a->timeout_s;
    c.readers = a->readers;
    c.cache_entries = a->cache ? a->cache : -1;
    c.thumb_size = a->thumb_size;
    c.watch = a->watching;
    c.watch_opts = watch_args_options(&a->watch);
    /* Small batches: a query never waits long behind indexing. */
    if (!a->watch.batch) a->watch.batch = 4;
    c.index_opts = watch_indexer_options(&a->watch, a->common.threads);
    c.log = a->common.quiet ? NULL : log_line;
    return c;
}

static int run_serve(serve_args *a)
{
    cli_install_signal_handlers();
    server_config cfg = serve_config(a);
    char err[VLM_ERR_MAX] = "";
    server *s = NULL;
    cli_progress_setup(&a->common);
    int rc = server_start(&cfg, &s, err);
    cli_progress_end();
    if (rc) return cli_exit_code(rc, err);
    cli_note_precision(&a->common);
    printf("serving at %s\n", server_url(s));
    fflush(stdout);
    while (!cli_cancel) usleep(100 * 1000);
    server_stop(s);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    serve_args a;
    cli_positional pos;
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    a.common.threads = 1;
    a.common.fp32 = VLM_PREC_F32_PACKED; /* resident: pack once, run faster */
    a.cache = 4096;
    if (!cli_parse(&serve_cmd, argc, argv, &a, &a.common, &pos, &code))
        code = run_serve(&a);
    cli_args_free(&serve_cmd, &a, &pos);
    return code;
}
