/* Shard specs and the shard hash: parsing, the key under a root, a slice
 * that covers every key exactly once, and hash values pinned so that a
 * change of hash (which would reshuffle every archive's shards) fails. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "indexer/shard.h"

Test(shard, parses_k_of_n_and_refuses_the_rest)
{
    shard_spec s;
    char err[VLM_ERR_MAX];
    cr_assert_eq(shard_parse("3/16", &s, err), VLM_OK);
    cr_assert_eq(s.k, 3);
    cr_assert_eq(s.n, 16);
    const char *bad[] = {"4/4",  "1/0",  "-1/4", "a/4",   "1/",        "/4",
                         "1/4x", "1 /4", "",     "1/4/2", "0/2000000", NULL};
    for (int i = 0; bad[i]; i++) {
        err[0] = '\0';
        cr_assert_eq(shard_parse(bad[i], &s, err), VLM_EINVAL, "%s", bad[i]);
        cr_assert_neq(err[0], '\0');
    }
    cr_assert_eq(shard_parse("4/4", &s, err), VLM_EINVAL);
    cr_assert_not_null(strstr(err, "--array=0-3"), "%s", err);
}

Test(shard, key_is_the_path_under_its_root)
{
    cr_assert_str_eq(shard_relative_key("/a/b", "/a/b/c/d.jpg"), "c/d.jpg");
    cr_assert_str_eq(shard_relative_key("/", "/x.jpg"), "x.jpg");
    cr_assert_str_eq(shard_relative_key("/a/b/d.jpg", "/a/b/d.jpg"), "d.jpg");
    /* Another mount point, the same key. */
    cr_assert_str_eq(shard_relative_key("/mnt/archive", "/mnt/archive/x/y.png"),
                     shard_relative_key("/data", "/data/x/y.png"));
}

Test(shard, every_key_lands_in_exactly_one_shard)
{
    enum {
        N = 7
    };
    int per[N] = {0};
    for (int i = 0; i < 7000; i++) {
        char key[32];
        int len = snprintf(key, sizeof key, "dir%d/img%05d.jpg", i % 13, i);
        int owners = 0;
        for (int k = 0; k < N; k++) {
            shard_spec s = {k, N};
            if (shard_contains(&s, key, (size_t)len)) owners++, per[k]++;
        }
        cr_assert_eq(owners, 1, "%s", key);
    }
    for (int k = 0; k < N; k++) /* roughly even: 1000 each */
        cr_assert(per[k] > 850 && per[k] < 1150, "shard %d: %d", k, per[k]);
    shard_spec none = {0, 0};
    cr_assert(shard_contains(&none, "x", 1));
}

static int owner(const char *key, int n)
{
    for (int k = 0; k < n; k++) {
        shard_spec s = {k, n};
        if (shard_contains(&s, key, strlen(key))) return k;
    }
    return -1;
}

/* XXH3-64 (seed 0) of the key modulo N.  These values must never change:
 * a new hash would move files between the shards of existing archives. */
Test(shard, hash_is_pinned)
{
    const char *uid = "1.2.840.113619.2.55.3.604688119.969.1268071029.320";
    cr_assert_eq(owner("cat.jpg", 16), 1);
    cr_assert_eq(owner("a/b/c.png", 16), 1);
    cr_assert_eq(owner(uid, 16), 13);
    cr_assert_eq(owner("cat.jpg", 1000), 745);
    cr_assert_eq(owner("a/b/c.png", 1000), 121);
    cr_assert_eq(owner(uid, 1000), 509);
}
