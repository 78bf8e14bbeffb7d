/*
 * dw_uid_set.h — a set of UIDs (at most 64 characters) for the paging
 * rules: a listing that gives a UID it gave before has stopped moving.
 */
#ifndef VLM_DW_UID_SET_H
#define VLM_DW_UID_SET_H

#include <stddef.h>

typedef struct dw_uid_set {
    char (*slots)[65]; /* open addressing; "" = empty */
    size_t n, cap;
} dw_uid_set;

/* 1 if uid was new (now added), 0 if it was there, -1 out of memory. */
int dw_uid_set_add(dw_uid_set *s, const char *uid);
void dw_uid_set_clear(dw_uid_set *s); /* frees; the set is empty again */

#endif
