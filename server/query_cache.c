#include "server/query_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char key[QUERY_CACHE_KEY_MAX];
    uint64_t hash;
    int chain;      /* next entry in the bucket, -1 = end */
    int prev, next; /* recency list, most recent at head */
} entry;

struct query_cache {
    pthread_mutex_t mu;
    int cap, dims, n, nb;
    int head, tail;
    int *buckets;
    entry *e;
    float *vecs;
    int64_t hits, misses;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

query_cache *query_cache_create(int capacity, int dims)
{
    query_cache *qc = calloc(1, sizeof *qc);
    if (!qc) return NULL;
    qc->cap = capacity > 0 ? capacity : 0;
    qc->dims = dims;
    qc->nb = 16;
    while (qc->nb < 2 * qc->cap) qc->nb *= 2;
    qc->buckets = malloc((size_t)qc->nb * sizeof *qc->buckets);
    qc->e = calloc((size_t)(qc->cap ? qc->cap : 1), sizeof *qc->e);
    qc->vecs = calloc((size_t)(qc->cap ? qc->cap : 1) * (size_t)dims,
                      sizeof *qc->vecs);
    if (!qc->buckets || !qc->e || !qc->vecs) {
        query_cache_destroy(qc);
        return NULL;
    }
    memset(qc->buckets, 0xff, (size_t)qc->nb * sizeof *qc->buckets);
    qc->head = qc->tail = -1;
    pthread_mutex_init(&qc->mu, NULL);
    return qc;
}

void query_cache_destroy(query_cache *qc)
{
    if (!qc) return;
    if (qc->buckets && qc->e && qc->vecs) pthread_mutex_destroy(&qc->mu);
    free(qc->buckets);
    free(qc->e);
    free(qc->vecs);
    free(qc);
}

static int find(query_cache *qc, const char *key, uint64_t h)
{
    for (int i = qc->buckets[h & (uint64_t)(qc->nb - 1)]; i >= 0;
         i = qc->e[i].chain)
        if (qc->e[i].hash == h && !strcmp(qc->e[i].key, key)) return i;
    return -1;
}

static void unlink_lru(query_cache *qc, int i)
{
    entry *x = &qc->e[i];
    if (x->prev >= 0)
        qc->e[x->prev].next = x->next;
    else
        qc->head = x->next;
    if (x->next >= 0)
        qc->e[x->next].prev = x->prev;
    else
        qc->tail = x->prev;
}

static void push_front(query_cache *qc, int i)
{
    qc->e[i].prev = -1;
    qc->e[i].next = qc->head;
    if (qc->head >= 0) qc->e[qc->head].prev = i;
    qc->head = i;
    if (qc->tail < 0) qc->tail = i;
}

static void unlink_bucket(query_cache *qc, int i)
{
    int *p = &qc->buckets[qc->e[i].hash & (uint64_t)(qc->nb - 1)];
    while (*p != i) p = &qc->e[*p].chain;
    *p = qc->e[i].chain;
}

bool query_cache_get(query_cache *qc, const char *text, float *out)
{
    if (!qc->cap || strlen(text) >= QUERY_CACHE_KEY_MAX) return false;
    uint64_t h = fnv1a(text);
    pthread_mutex_lock(&qc->mu);
    int i = find(qc, text, h);
    if (i >= 0) {
        memcpy(out, qc->vecs + (size_t)i * (size_t)qc->dims,
               (size_t)qc->dims * sizeof *out);
        unlink_lru(qc, i);
        push_front(qc, i);
        qc->hits++;
    } else {
        qc->misses++;
    }
    pthread_mutex_unlock(&qc->mu);
    return i >= 0;
}

void query_cache_put(query_cache *qc, const char *text, const float *v)
{
    if (!qc->cap || strlen(text) >= QUERY_CACHE_KEY_MAX) return;
    uint64_t h = fnv1a(text);
    pthread_mutex_lock(&qc->mu);
    int i = find(qc, text, h);
    if (i < 0) {
        if (qc->n < qc->cap) {
            i = qc->n++;
        } else { /* the least recently used goes */
            i = qc->tail;
            unlink_lru(qc, i);
            unlink_bucket(qc, i);
        }
        strcpy(qc->e[i].key, text);
        qc->e[i].hash = h;
        qc->e[i].chain = qc->buckets[h & (uint64_t)(qc->nb - 1)];
        qc->buckets[h & (uint64_t)(qc->nb - 1)] = i;
    } else {
        unlink_lru(qc, i);
    }
    push_front(qc, i);
    memcpy(qc->vecs + (size_t)i * (size_t)qc->dims, v,
           (size_t)qc->dims * sizeof *v);
    pthread_mutex_unlock(&qc->mu);
}

query_cache_stats query_cache_get_stats(query_cache *qc)
{
    pthread_mutex_lock(&qc->mu);
    query_cache_stats s = {qc->hits, qc->misses, qc->n, qc->cap};
    pthread_mutex_unlock(&qc->mu);
    return s;
}
