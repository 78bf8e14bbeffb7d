#include "indexer/watch_roots.h"

#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "indexer/watch_dirty.h"

static int find_exact(const watch_roots *wr, const char *path)
{
    for (int i = 0; i < wr->n; i++)
        if (!strcmp(wr->r[i].path, path)) return i;
    return -1;
}

int watch_roots_load(watch_roots *wr, collection *c, char *err)
{
    char **roots = NULL;
    size_t n = 0;
    int rc = collection_list_roots(c, &roots, &n, err);
    if (rc) return rc;
    for (int i = 0; i < wr->n; i++) wr->r[i].is_new = false;
    for (size_t i = 0; !rc && i < n; i++) {
        if (find_exact(wr, roots[i]) >= 0) continue;
        watch_root *grown = realloc(wr->r, (size_t)(wr->n + 1) * sizeof *grown);
        if (!grown) {
            rc = VLM_ENOMEM;
            break;
        }
        wr->r = grown;
        wr->r[wr->n++] = (watch_root){.path = roots[i], .is_new = true};
        roots[i] = NULL; /* the list owns it now */
    }
    collection_free_strings(roots, n);
    return rc;
}

void watch_roots_free(watch_roots *wr)
{
    for (int i = 0; i < wr->n; i++) free(wr->r[i].path);
    free(wr->r);
    *wr = (watch_roots){0};
}

watch_root *watch_roots_find(const watch_roots *wr, const char *path)
{
    watch_root *best = NULL;
    for (int i = 0; i < wr->n; i++)
        if (watch_path_under(path, wr->r[i].path) &&
            (!best || strlen(wr->r[i].path) > strlen(best->path)))
            best = &wr->r[i];
    return best;
}

const char *watch_network_fs(const char *path)
{
    static const struct {
        long magic;
        const char *name;
    } fs[] = {
        {NFS_SUPER_MAGIC, "nfs"},         {SMB_SUPER_MAGIC, "smb"},
        {(long)CIFS_SUPER_MAGIC, "cifs"}, {(long)SMB2_SUPER_MAGIC, "smb2"},
        {FUSE_SUPER_MAGIC, "fuse"},       {V9FS_MAGIC, "9p"},
        {CEPH_SUPER_MAGIC, "ceph"},       {CODA_SUPER_MAGIC, "coda"},
        {AFS_SUPER_MAGIC, "afs"},         {NCP_SUPER_MAGIC, "ncp"},
    };
    struct statfs sf;
    if (statfs(path, &sf) != 0) return NULL;
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++)
        if ((long)(unsigned)sf.f_type == (long)(unsigned)fs[i].magic)
            return fs[i].name;
    return NULL;
}
