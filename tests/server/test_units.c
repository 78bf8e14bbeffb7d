/* The server's building blocks without a server: listen addresses, tokens,
 * Host and Origin rules, the JSON writer, the query-vector cache, the model
 * worker. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/json_buf.h"
#include "server/query_cache.h"
#include "server/server_auth.h"
#include "server/model_worker.h"

Test(server_auth, listen_addresses)
{
    server_listen l;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(server_parse_listen(NULL, &l, err), 0, "%s", err);
    cr_assert(l.loopback && !l.ipv6 && l.port == 8765);
    cr_assert_eq(server_parse_listen("127.0.0.2:0", &l, err), 0);
    cr_assert(l.loopback && l.port == 0);
    cr_assert_eq(server_parse_listen("0.0.0.0:80", &l, err), 0);
    cr_assert(!l.loopback);
    cr_assert_eq(server_parse_listen("10.1.2.3", &l, err), 0);
    cr_assert(!l.loopback && l.port == 8765);
    cr_assert_eq(server_parse_listen("[::1]:9000", &l, err), 0);
    cr_assert(l.loopback && l.ipv6 && l.port == 9000);
    cr_assert_eq(server_parse_listen("[::]:9000", &l, err), 0);
    cr_assert(!l.loopback);
    cr_assert_eq(server_parse_listen(":7000", &l, err), 0);
    cr_assert(l.loopback && l.port == 7000);
    const char *bad[] = {"localhost:80", "1.2.3.4:99999", "::1:80",
                         "1.2.3.4:x",    "[::1",          "[::1]x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(server_parse_listen(bad[i], &l, err), VLM_EINVAL, "%s",
                     bad[i]);
}

Test(server_auth, host_and_origin)
{
    cr_assert(server_host_is_loopback("127.0.0.1:8765"));
    cr_assert(server_host_is_loopback("127.9.9.9"));
    cr_assert(server_host_is_loopback("localhost:1"));
    cr_assert(server_host_is_loopback("[::1]:8765"));
    cr_assert(!server_host_is_loopback("evil.example"));
    cr_assert(!server_host_is_loopback("127.0.0.1.evil.example:80"));
    cr_assert(!server_host_is_loopback("[::2]:80"));
    cr_assert(!server_host_is_loopback(NULL));
    cr_assert(server_origin_ok(NULL, "127.0.0.1:1", false, NULL));
    cr_assert(
        server_origin_ok("http://127.0.0.1:1", "127.0.0.1:1", false, NULL));
    cr_assert(
        !server_origin_ok("https://127.0.0.1:1", "127.0.0.1:1", false, NULL));
    cr_assert(
        !server_origin_ok("http://evil.example", "127.0.0.1:1", false, NULL));
    cr_assert(server_origin_ok("http://app.example", "127.0.0.1:1", false,
                               "http://app.example"));
    cr_assert(!server_origin_ok("null", "127.0.0.1:1", false, NULL));
}

static void write_file(const char *path, const char *text, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(path, (mode_t)mode);
}

Test(server_auth, token_files)
{
    char dir[] = "/tmp/vlm-token-XXXXXX", path[64], tok[SERVER_TOKEN_MAX];
    char err[VLM_ERR_MAX] = "";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t", dir);
    write_file(path, "0123456789abcdef-token\n", 0600);
    cr_assert_eq(server_read_token(path, tok, err), 0, "%s", err);
    cr_assert_str_eq(tok, "0123456789abcdef-token");
    cr_assert(server_bearer_ok("Bearer 0123456789abcdef-token", tok));
    cr_assert(server_bearer_ok("bearer 0123456789abcdef-token", tok));
    cr_assert(!server_bearer_ok("Bearer 0123456789abcdef-toke", tok));
    cr_assert(!server_bearer_ok("Bearer 0123456789abcdef-tokenX", tok));
    cr_assert(!server_bearer_ok("Basic 0123456789abcdef-token", tok));
    cr_assert(!server_bearer_ok(NULL, tok));
    write_file(path, "0123456789abcdef-token\n", 0644);
    cr_assert_eq(server_read_token(path, tok, err), VLM_EINVAL);
    cr_assert(strstr(err, "readable by others"), "%s", err);
    write_file(path, "short\n", 0600);
    cr_assert_eq(server_read_token(path, tok, err), VLM_EINVAL);
    write_file(path, "two words in a token file\n", 0600);
    cr_assert_eq(server_read_token(path, tok, err), VLM_EINVAL);
    cr_assert_eq(server_read_token("/nonexistent/t", tok, err), VLM_EIO);
    unlink(path);
    rmdir(dir);
}

Test(json_buf, values_commas_and_escapes)
{
    json_buf b = {0};
    jb_reset(&b);
    jb_obj(&b);
    jb_kstr(&b, "s", "a\"b\\c\n\x01");
    jb_key(&b, "list");
    jb_arr(&b);
    jb_int(&b, -3);
    jb_num(&b, 0.5);
    jb_num(&b, 1.0 / 0.0);
    jb_bool(&b, true);
    jb_null(&b);
    jb_end_arr(&b);
    jb_kstr(&b, "bad", "x\xff\xc3(y\xe2\x82\xac");
    jb_end_obj(&b);
    cr_assert_str_eq(b.data, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\",\"list\":"
                             "[-3,0.5,null,true,null],\"bad\":"
                             "\"x\xef\xbf\xbd\xef\xbf\xbd(y\xe2\x82\xac\"}");
    jb_reset(&b);
    jb_arr(&b);
    jb_end_arr(&b);
    cr_assert_str_eq(b.data, "[]");
    jb_free(&b);
}

Test(query_cache, least_recently_used_goes)
{
    query_cache *qc = query_cache_create(2, 3);
    float a[3] = {1, 0, 0}, b[3] = {0, 1, 0}, c[3] = {0, 0, 1}, out[3];
    query_cache_put(qc, "a", a);
    query_cache_put(qc, "b", b);
    cr_assert(query_cache_get(qc, "a", out)); /* a is now the most recent */
    query_cache_put(qc, "c", c);              /* b goes */
    cr_assert(!query_cache_get(qc, "b", out));
    cr_assert(query_cache_get(qc, "c", out) && out[2] == 1);
    cr_assert(query_cache_get(qc, "a", out) && out[0] == 1);
    query_cache_put(qc, "a", b); /* replaced in place */
    cr_assert(query_cache_get(qc, "a", out) && out[1] == 1);
    char long_key[QUERY_CACHE_KEY_MAX + 1];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = 0;
    query_cache_put(qc, long_key, a); /* too long: not kept */
    cr_assert(!query_cache_get(qc, long_key, out));
    query_cache_stats s = query_cache_get_stats(qc);
    cr_assert_eq(s.entries, 2);
    cr_assert_eq(s.hits, 4);
    cr_assert_eq(s.misses, 1);
    query_cache_destroy(qc);
    query_cache *none = query_cache_create(0, 3);
    query_cache_put(none, "a", a);
    cr_assert(!query_cache_get(none, "a", out));
    query_cache_destroy(none);
}

/* ---- the model worker ------------------------------------------------- */

typedef struct batch_job {
    model_worker *w;
    const char *text;
    float out[64];
    int rc;
} batch_job;

static void *encode_one(void *arg)
{
    batch_job *j = arg;
    j->rc = model_worker_text(j->w, j->text, j->out, NULL);
    return NULL;
}

static int dims_call(void *user, clip_model *m, char *err)
{
    (void)err;
    *(int *)user = clip_embed_dim(m);
    return 7;
}

Test(model_worker, queued_texts_share_a_pass_and_get_their_own_vectors)
{
    const char *fx = getenv("VLM_FIXTURES");
    char dir[512], tok[512], err[VLM_ERR_MAX] = "";
    snprintf(dir, sizeof dir, "%s/clip-tiny-quickgelu-f32", fx ? fx : "");
    snprintf(tok, sizeof tok, "%s/tokenizer-clip", fx ? fx : "");
    if (!fx || access(dir, F_OK)) cr_skip_test("fixtures not found");
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.tokenizer_dir = tok;
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), 0, "%s", err);
    cr_assert_leq(clip_embed_dim(m), 64);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    model_worker *w;
    cr_assert_eq(model_worker_create(m, &lock, 8, &w, err), 0, "%s", err);
    const char *texts[] = {"a cat", "red flowers on a table",
                           "a dog", "boats on a lake at night",
                           "x",     "a photo of a car"};
    enum {
        N = 6
    };
    batch_job jobs[N];
    pthread_t th[N];
    pthread_mutex_lock(&lock); /* the model is busy: requests queue up */
    for (int i = 0; i < N; i++) {
        jobs[i] = (batch_job){.w = w, .text = texts[i]};
        pthread_create(&th[i], NULL, encode_one, &jobs[i]);
    }
    usleep(300 * 1000);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        float want[64];
        cr_assert_eq(jobs[i].rc, 0);
        cr_assert_eq(clip_encode_text(m, texts[i], want, err), 0, "%s", err);
        for (int k = 0; k < clip_embed_dim(m); k++)
            cr_assert_float_eq(jobs[i].out[k], want[k], 1e-4, "%s [%d]",
                               texts[i], k);
    }
    model_worker_stats s = model_worker_get_stats(w);
    cr_assert_eq(s.texts, N);
    cr_assert_lt(s.passes, N, "queued texts were not batched");
    cr_assert_geq(s.largest, 2);
    int dims = 0;
    cr_assert_eq(model_worker_call(w, dims_call, &dims, err), 7);
    cr_assert_eq(dims, clip_embed_dim(m));
    cr_assert_eq(model_worker_get_stats(w).calls, 1);
    model_worker_destroy(w);
    clip_model_destroy(m);
}
