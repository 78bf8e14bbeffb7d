#include "indexer/hash_set.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing with tombstones; keys are strdup'ed strings. */
#define TOMBSTONE ((char *)1)

struct hash_set {
    pthread_mutex_t mu;
    char **slots;
    size_t cap, used; /* used counts live keys and tombstones */
    size_t live;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

hash_set *hash_set_create(void)
{
    hash_set *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cap = 1024;
    s->slots = calloc(s->cap, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void hash_set_destroy(hash_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] && s->slots[i] != TOMBSTONE) free(s->slots[i]);
    free(s->slots);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Slot holding key, or the first free slot on its probe path. */
static size_t find_slot(const hash_set *s, const char *key, int *found)
{
    size_t i = (size_t)(fnv1a(key) & (s->cap - 1)), free_slot = SIZE_MAX;
    for (;; i = (i + 1) & (s->cap - 1)) {
        char *k = s->slots[i];
        if (!k) {
            *found = 0;
            return free_slot != SIZE_MAX ? free_slot : i;
        }
        if (k == TOMBSTONE) {
            if (free_slot == SIZE_MAX) free_slot = i;
        } else if (!strcmp(k, key)) {
            *found = 1;
            return i;
        }
    }
}

static int grow(hash_set *s)
{
    hash_set bigger = {.cap = s->cap * 2};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots) return -1;
    for (size_t i = 0; i < s->cap; i++) {
        char *k = s->slots[i];
        if (k && k != TOMBSTONE) {
            int found;
            bigger.slots[find_slot(&bigger, k, &found)] = k;
        }
    }
    free(s->slots);
    s->slots = bigger.slots;
    s->cap = bigger.cap;
    s->used = s->live;
    return 0;
}

int hash_set_add(hash_set *s, const char *key)
{
    int rc = 0, found;
    pthread_mutex_lock(&s->mu);
    if (2 * (s->used + 1) > s->cap && grow(s)) rc = -1;
    if (!rc) {
        size_t i = find_slot(s, key, &found);
        if (!found) {
            char *k = strdup(key);
            if (!k) {
                rc = -1;
            } else {
                if (!s->slots[i]) s->used++;
                s->slots[i] = k;
                s->live++;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int hash_set_contains(hash_set *s, const char *key)
{
    int found;
    pthread_mutex_lock(&s->mu);
    find_slot(s, key, &found);
    pthread_mutex_unlock(&s->mu);
    return found;
}

void hash_set_remove(hash_set *s, const char *key)
{
    int found;
    pthread_mutex_lock(&s->mu);
    size_t i = find_slot(s, key, &found);
    if (found) {
        free(s->slots[i]);
        s->slots[i] = TOMBSTONE;
        s->live--;
    }
    pthread_mutex_unlock(&s->mu);
}

size_t hash_set_size(hash_set *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->live;
    pthread_mutex_unlock(&s->mu);
    return n;
}
