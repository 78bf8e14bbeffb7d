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
    int ids;     /* query_parse_ids: "id:N" terms, never paths */
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

static const char *split_weight_rest(const char *s)
{
    const char *rest;
    (void)split_weight(s, &rest);
    return rest;
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

/* "id:123" -> 1 (digits only, at most 18 of them). */
static int is_image_id(const char *s)
{
    if (strncmp(s, "id:", 3)) return 0;
    size_t n = strspn(s + 3, "0123456789");
    return n > 0 && n <= 18 && s[3 + n] == 0;
}

static int term_value(const char *body, query_term *t, char *err);

/* The term `body` names: an image id (query_parse_ids: never a URL nor a
 * file), or else what term_value says. */
static int classify_term(const builder *b, const char *body, query_term *t,
                         char *err)
{
    if (!b->ids) return term_value(body, t, err);
    if (query_is_url(body)) {
        vlm_set_err(err,
                    "%s: URL terms are not taken here (upload the "
                    "image, or name an indexed one with id:N)",
                    body);
        return VLM_EINVAL;
    }
    if (!strncmp(body, QUERY_PROBE_PREFIX, strlen(QUERY_PROBE_PREFIX)))
        return term_value(body, t, err);
    int id = is_image_id(body);
    t->kind = id ? QUERY_IMAGE_ID : QUERY_TEXT;
    t->value = strdup(id ? body + 3 : body);
    return t->value ? VLM_OK : VLM_ENOMEM;
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
    int rc = classify_term(b, body, &t, err);
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

/* One argv word may hold " + " / " - " separated pieces; with ids, an
 * "id:N" word is a term of its own. */
static int add_argument(builder *b, const char *arg, char *err)
{
    if (is_operator(arg)) return apply_operator(b, arg[0], err);
    if (b->ids && is_image_id(split_weight_rest(arg))) {
        int rc = flush_term(b, err);
        if (!rc) rc = append_word(b, arg, strlen(arg));
        return rc ? rc : flush_term(b, err);
    }
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

static int parse_words(builder *b, int argc, const char *const *argv,
                       const char *text, char *err)
{
    int rc = VLM_OK;
    for (int i = 0; i < argc && !rc; i++) rc = add_argument(b, argv[i], err);
    for (const char *p = text; p && *p && !rc;) {
        p += strspn(p, " \t\r\n");
        size_t n = strcspn(p, " \t\r\n");
        if (!n) break;
        char *word = strndup(p, n);
        rc = word ? add_argument(b, word, err) : VLM_ENOMEM;
        free(word);
        p += n;
    }
    return rc ? rc : flush_term(b, err);
}

static int parse(builder *b, int argc, const char *const *argv,
                 const char *text, char *err)
{
    query *q = b->q;
    memset(q, 0, sizeof *q);
    int rc = parse_words(b, argc, argv, text, err);
    free(b->words);
    if (!rc && q->n_terms == 0) {
        vlm_set_err(err, b->ids ? "empty query: give some words or id:N"
                                : "empty query: give some words or an image "
                                  "path");
        rc = VLM_EINVAL;
    }
    if (!rc && !has_weight(q)) {
        vlm_set_err(err, "the query vector is zero: every term has weight 0");
        rc = VLM_EINVAL;
    }
    if (rc) query_free(q);
    return rc;
}

int query_parse(int argc, const char *const *argv, query *q, char *err)
{
    builder b = {.q = q, .sign = 1.0f};
    return parse(&b, argc, argv, NULL, err);
}

int query_parse_ids(const char *text, query *q, char *err)
{
    builder b = {.q = q, .sign = 1.0f, .ids = 1};
    return parse(&b, 0, NULL, text, err);
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
                 q->terms[i].kind == QUERY_IMAGE_ID ? "id:"
                 : q->terms[i].kind == QUERY_PROBE  ? QUERY_PROBE_PREFIX
                                                    : "",
                 q->terms[i].value);
    }
}

void query_format(const query *q, char *out, size_t n)
{
    out[0] = 0;
    for (int i = 0; i < q->n_terms; i++) {
        const query_term *t = &q->terms[i];
        float w = t->weight < 0 ? -t->weight : t->weight;
        char weight[32] = "";
        if (w != 1.0f) snprintf(weight, sizeof weight, "%g:", (double)w);
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s%s%s",
                 i ? (t->weight < 0 ? " - " : " + ")
                   : (t->weight < 0 ? "- " : ""),
                 weight,
                 t->kind == QUERY_IMAGE_ID ? "id:"
                 : t->kind == QUERY_PROBE  ? QUERY_PROBE_PREFIX
                                           : "",
                 t->value);
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
