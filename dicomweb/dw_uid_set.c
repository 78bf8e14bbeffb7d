/* dw_uid_set.c — open addressing, FNV-1a, load factor at most 1/2. */
#include "dicomweb/dw_uid_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const char *uid, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)uid; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h & (cap - 1));
}

/* 1 added, 0 present (slots has room: load factor kept under 1/2). */
static int insert(char (*slots)[65], size_t cap, const char *uid)
{
    size_t i = slot_of(uid, cap);
    while (slots[i][0]) {
        if (!strcmp(slots[i], uid)) return 0;
        i = (i + 1) & (cap - 1);
    }
    memcpy(slots[i], uid, strnlen(uid, 64));
    slots[i][strnlen(uid, 64)] = '\0';
    return 1;
}

static int grow(dw_uid_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    char(*slots)[65] = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i][0]) insert(slots, cap, s->slots[i]);
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int dw_uid_set_add(dw_uid_set *s, const char *uid)
{
    if (2 * (s->n + 1) > s->cap && grow(s)) return -1;
    int added = insert(s->slots, s->cap, uid);
    s->n += (size_t)added;
    return added;
}

void dw_uid_set_clear(dw_uid_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
