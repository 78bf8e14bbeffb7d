#include "query/query_parse.h"

#include "query/query_fetch.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define QUERY_PROBE_PREFIX "probe:"

/* Growing list of terms under construction. */
typedef struct builder {
    query *q;
    int cap;
    float sign;  /* sign for the next term */
    char *words; /* plain words collected for the current term */
} builder;

static int is_operator(const char *w)
{
    return !strcmp(w, "+") || !strcmp(w, "-");
}

static int looks_like_path(const char *s)
{
    return s[0] == '/' || !strncmp(s, "./", 2) || !strncmp(s, "../", 3) ||
           !strncmp(s, "~/", 2);
}

static int is_regular_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* "2.5:rest" -> weight 2.5, *rest points past the colon.  No prefix -> 1.
 * A weight that is not a finite number ("1e309:") comes back as NaN. */
static float split_weight(const char *s, const char **rest)
{
    char *end;
    *rest = s;
    if (!(isdigit((unsigned char)s[0]) || s[0] == '.')) return 1.0f;
    double w = strtod(s, &end);
    if (*end != ':' || end == s) return 1.0f;
    *rest = end + 1;
    return isfinite(w) && fabs(w) <= FLT_MAX ? (float)w : NAN;
}

static char *expand_home(const char *p)
{
    const char *home = getenv("HOME");
    if (strncmp(p, "~/", 2) || !home) return strdup(p);
    size_t n = strlen(home) + strlen(p);
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s%s", home, p + 1);
    return out;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    size_t i = 0;
    while (isspace((unsigned char)s[i])) i++;
    memmove(s, s + i, n - i + 1);
}

/* What the term's body is: a probe, a URL, an image file, or text. */
static int term_value(const char *body, query_term *t, char *err)
{
    size_t plen = strlen(QUERY_PROBE_PREFIX);
    if (!strncmp(body, QUERY_PROBE_PREFIX, plen)) {
        t->kind = QUERY_PROBE;
        if (!body[plen]) {
            vlm_set_err(err, "'%s': name the probe (probe:NAME)", body);
            return VLM_EINVAL;
        }
        return (t->value = strdup(body + plen)) ? VLM_OK : VLM_ENOMEM;
    }
    if (query_is_url(body)) {
        t->kind = QUERY_URL;
        return (t->value = strdup(body)) ? VLM_OK : VLM_ENOMEM;
    }
    char *path = expand_home(body);
    if (!path) return VLM_ENOMEM;
    if (is_regular_file(path)) {
        t->kind = QUERY_IMAGE;
        t->value = path;
        return VLM_OK;
    }
    if (looks_like_path(body)) {
        vlm_set_err(err, "%s: image query not found (not a readable file)",
                    path);
        free(path);
        return VLM_EINVAL;
    }
    free(path);
    return (t->value = strdup(body)) ? VLM_OK : VLM_ENOMEM;
}

static int push_term(builder *b, query_term t)
{
    if (b->q->n_terms == b->cap) {
        int cap = b->cap ? 2 * b->cap : 4;
        query_term *nt = realloc(b->q->terms, (size_t)cap * sizeof *nt);
        if (!nt) {
            free(t.value);
            return VLM_ENOMEM;
        }
        b->q->terms = nt;
        b->cap = cap;
    }
    b->q->terms[b->q->n_terms++] = t;
    b->sign = 1.0f;
    return VLM_OK;
}

/* Turns the collected words into a term. */
static int flush_term(builder *b, char *err)
{
    if (!b->words) return VLM_OK;
    char *words = b->words;
    b->words = NULL;
    trim(words);
    if (!*words) {
        free(words);
        return VLM_OK;
    }
    const char *body;
    float w = split_weight(words, &body);
    if (isnan(w)) {
        vlm_set_err(err, "'%s': the weight is not a finite number", words);
        free(words);
        return VLM_EINVAL;
    }
    while (isspace((unsigned char)*body)) body++;
    if (!*body) { /* "cat + 2:" would embed the empty text */
        vlm_set_err(err, "'%s': a weight without a term", words);
        free(words);
        return VLM_EINVAL;
    }
    query_term t = {.kind = QUERY_TEXT, .weight = w * b->sign};
    int rc = term_value(body, &t, err);
    free(words);
    return rc ? rc : push_term(b, t);
}

static int append_word(builder *b, const char *w, size_t len)
{
    size_t old = b->words ? strlen(b->words) : 0;
    char *nw = realloc(b->words, old + len + 2);
    if (!nw) return VLM_ENOMEM;
    if (old) nw[old++] = ' ';
    memcpy(nw + old, w, len);
    nw[old + len] = 0;
    b->words = nw;
    return VLM_OK;
}

static int apply_operator(builder *b, char op, char *err)
{
    int rc = flush_term(b, err);
    if (rc) return rc;
    b->sign = op == '-' ? -1.0f : 1.0f;
    return VLM_OK;
}

/* One argv word may hold " + " / " - " separated pieces. */
static int add_argument(builder *b, const char *arg, char *err)
{
    if (is_operator(arg)) return apply_operator(b, arg[0], err);
    const char *p = arg;
    for (;;) {
        const char *plus = strstr(p, " + "), *minus = strstr(p, " - ");
        const char *op = plus && (!minus || plus < minus) ? plus : minus;
        if (!op) return append_word(b, p, strlen(p));
        int rc = append_word(b, p, (size_t)(op - p));
        if (!rc) rc = apply_operator(b, op[1], err);
        if (rc) return rc;
        p = op + 3;
    }
}

static int has_weight(const query *q)
{
    for (int i = 0; i < q->n_terms; i++)
        if (q->terms[i].weight != 0) return 1;
    return 0;
}

int query_parse(int argc, const char *const *argv, query *q, char *err)
{
    memset(q, 0, sizeof *q);
    builder b = {.q = q, .sign = 1.0f};
    int rc = VLM_OK;
    for (int i = 0; i < argc && !rc; i++) rc = add_argument(&b, argv[i], err);
    if (!rc) rc = flush_term(&b, err);
    free(b.words);
    if (!rc && q->n_terms == 0) {
        vlm_set_err(err, "empty query: give some words or an image path");
        rc = VLM_EINVAL;
    }
    if (!rc && !has_weight(q)) {
        vlm_set_err(err, "the query vector is zero: every term has weight 0");
        rc = VLM_EINVAL;
    }
    if (rc) query_free(q);
    return rc;
}

void query_free(query *q)
{
    for (int i = 0; i < q->n_terms; i++) free(q->terms[i].value);
    free(q->terms);
    memset(q, 0, sizeof *q);
}

int query_has_image(const query *q)
{
    for (int i = 0; i < q->n_terms; i++)
        if (q->terms[i].kind == QUERY_IMAGE || q->terms[i].kind == QUERY_URL)
            return 1;
    return 0;
}

int query_has_probe(const query *q)
{
    for (int i = 0; i < q->n_terms; i++)
        if (q->terms[i].kind == QUERY_PROBE) return 1;
    return 0;
}

void query_text(const query *q, char *out, size_t n)
{
    out[0] = 0;
    for (int i = 0; i < q->n_terms; i++) {
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s%s", i ? " + " : "",
                 q->terms[i].kind == QUERY_PROBE ? QUERY_PROBE_PREFIX : "",
                 q->terms[i].value);
    }
}

void query_phrase(const query *q, char *out, size_t n)
{
    out[0] = 0;
    for (int i = 0; i < q->n_terms; i++) {
        if (q->terms[i].kind != QUERY_TEXT || q->terms[i].weight <= 0) continue;
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s", out[0] ? " " : "",
                 q->terms[i].value);
    }
}
