/*
 * query_cache.h — the vectors of recent text queries, so a repeated query
 * (the next page, a refinement, the same search from another tab) skips
 * the text tower.  Fixed capacity, least recently used out, all memory
 * allocated at creation; thread-safe.
 */
#ifndef VLM_QUERY_CACHE_H
#define VLM_QUERY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define QUERY_CACHE_KEY_MAX 256 /* longer texts are not cached */

typedef struct query_cache query_cache;

/* capacity 0 = a cache that never holds anything. */
query_cache *query_cache_create(int capacity, int dims);
void query_cache_destroy(query_cache *qc); /* NULL-safe */

/* Copies the vector of `text` into out; false when absent. */
bool query_cache_get(query_cache *qc, const char *text, float *out);
void query_cache_put(query_cache *qc, const char *text, const float *v);

typedef struct query_cache_stats {
    int64_t hits, misses;
    int entries, capacity;
} query_cache_stats;

query_cache_stats query_cache_get_stats(query_cache *qc);

#endif
