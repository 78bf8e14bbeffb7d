/*
 * hash_set.h — a thread-safe set of content hashes (hex strings), used by
 * the decode workers to skip decoding files whose bytes are already indexed.
 */
#ifndef VLM_HASH_SET_H
#define VLM_HASH_SET_H

#include <stddef.h>

typedef struct hash_set hash_set;

hash_set *hash_set_create(void);
void hash_set_destroy(hash_set *s);
int hash_set_add(hash_set *s, const char *key); /* 0 ok, -1 OOM */
int hash_set_contains(hash_set *s, const char *key);
void hash_set_remove(hash_set *s, const char *key);
size_t hash_set_size(hash_set *s);

#endif
