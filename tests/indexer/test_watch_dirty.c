/* The watch's dirty set: coalesced by folder, bounded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "indexer/watch_dirty.h"

static int has(const watch_dirty *d, const char *p)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->paths[i], p)) return 1;
    return 0;
}

Test(watch_dirty, a_folder_covers_what_is_under_it)
{
    watch_dirty d = {0};
    cr_assert_eq(watch_dirty_add(&d, "/p/a/x"), 0);
    cr_assert_eq(watch_dirty_add(&d, "/p/ab"), 0);
    cr_assert_eq(watch_dirty_add(&d, "/p/a"), 0);     /* replaces /p/a/x */
    cr_assert_eq(watch_dirty_add(&d, "/p/a/y/z"), 0); /* covered */
    cr_assert_eq(d.n, 2);
    cr_assert(has(&d, "/p/a") && has(&d, "/p/ab"));
    watch_dirty_free(&d);
}

Test(watch_dirty, path_under)
{
    cr_assert(watch_path_under("/a/b", "/a"));
    cr_assert(watch_path_under("/a", "/a"));
    cr_assert(!watch_path_under("/ab", "/a"));
    cr_assert(watch_path_under("/a", "/"));
}

Test(watch_dirty, too_many_paths_mean_everything)
{
    watch_dirty d = {0};
    char p[64];
    for (int i = 0; i < WATCH_DIRTY_MAX + 10; i++) {
        snprintf(p, sizeof p, "/r/%d", i);
        cr_assert_eq(watch_dirty_add(&d, p), 0);
    }
    cr_assert(d.overflow);
    cr_assert_eq(d.n, 0);
    watch_dirty_clear(&d);
    cr_assert(!d.overflow);
    watch_dirty_free(&d);
}
