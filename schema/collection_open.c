/*
 * collection_open.c — the database file of a collection: the folder, an
 * atomic creation (built under a temporary name, then linked into place),
 * SQLite's settings, migrations, and read-only opening when this process
 * may not write the folder or its files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "schema/collection_internal.h"

/* ------------------------------------------------------------------ */
/* The folder                                                          */
/* ------------------------------------------------------------------ */

int collection_create_dir(const char *dir, bool private_perms, char *err)
{
    char buf[COLLECTION_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        vlm_set_err(err, "collection path too long: %s", dir);
        return VLM_EINVAL;
    }
    mode_t mode = private_perms ? 0700 : 0755;
    for (char *p = buf + 1;; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST) {
                vlm_set_err(err, "cannot create folder %s: %s", buf,
                            strerror(errno));
                return errno == EACCES || errno == EROFS ? VLM_EREADONLY
                                                         : VLM_EIO;
            }
            if (end) return VLM_OK;
            *p = '/';
        }
    }
}

/* Makes sure DIR exists and is a folder (created when asked). */
static int prepare_dir(collection *c, const collection_options *o, char *err)
{
    struct stat sb;
    if (stat(c->dir, &sb) != 0) {
        if (!o->create_if_missing) {
            vlm_set_err(err, "no collection at %s (folder missing)", c->dir);
            return VLM_ENOTFOUND;
        }
        int rc = collection_create_dir(c->dir, o->private_perms, err);
        if (rc != VLM_OK) return rc;
    } else if (!S_ISDIR(sb.st_mode)) {
        vlm_set_err(err, "collection path %s is not a folder", c->dir);
        return VLM_EINVAL;
    }
    if (o->private_perms && !o->read_only && chmod(c->dir, 0700) != 0 &&
        errno != EPERM && errno != EROFS) {
        vlm_set_err(err, "cannot chmod 0700 %s: %s", c->dir, strerror(errno));
        return VLM_EIO;
    }
    return VLM_OK;
}

enum {
    WRITABLE,
    NOT_WRITABLE,
    READ_ONLY_FS
};

/* Whether this process can write the collection; why[n] says why not ("" if
 * it can).  SQLite also writes DB-wal and DB-shm next to the database. */
static int write_blocker(const char *dir, const char *db, char *why, size_t n)
{
    struct statvfs vf;
    why[0] = '\0';
    if (statvfs(dir, &vf) == 0 && (vf.f_flag & ST_RDONLY)) {
        snprintf(why, n, "%s is on a read-only file system", dir);
        return READ_ONLY_FS;
    }
    if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) != 0) {
        snprintf(why, n, "folder %s is not writable by uid %u", dir,
                 (unsigned)geteuid());
        return NOT_WRITABLE;
    }
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char path[COLLECTION_PATH_MAX + 8];
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0 &&
            errno != ENOENT) {
            snprintf(why, n, "%s is not writable by uid %u", path,
                     (unsigned)geteuid());
            return NOT_WRITABLE;
        }
    }
    return WRITABLE;
}

/* ------------------------------------------------------------------ */
/* SQLite settings                                                     */
/* ------------------------------------------------------------------ */

static int configure_rw(sqlite3 *db, int busy_ms, char *err)
{
    sqlite3_busy_timeout(db, busy_ms);
    /* NORMAL is durable enough in WAL mode: a crash (kill -9) never
     * corrupts, a power cut may lose the last batch, which is re-done.
     * page_size only takes effect on a new database, before WAL: with the
     * default 4 KiB a 2 KiB embedding row takes a page of its own (half
     * the file wasted); 16 KiB pages hold 7 such rows. */
    int rc = sqlite3_exec(db,
                          "PRAGMA page_size = 16384;"
                          "PRAGMA journal_mode = WAL;"
                          "PRAGMA synchronous = NORMAL;"
                          "PRAGMA foreign_keys = ON;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK) return VLM_OK;
    vlm_set_err(err, "cannot set up SQLite (WAL journal): %s",
                sqlite3_errmsg(db));
    return VLM_EIO;
}

/* ------------------------------------------------------------------ */
/* Creating a new database atomically                                  */
/* ------------------------------------------------------------------ */

/* Builds and migrates the schema in `tmp`, then closes it (which folds
 * the WAL back into the file). */
static int build_schema(const char *tmp, int busy_ms, char *err)
{
    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL);
    int rc = src == SQLITE_OK ? configure_rw(db, busy_ms, err) : VLM_EIO;
    if (src != SQLITE_OK)
        vlm_set_err(err, "cannot create %s: %s", tmp,
                    db ? sqlite3_errmsg(db) : "out of memory");
    if (rc == VLM_OK) rc = schema_migrate(db, err);
    if (sqlite3_close(db) != SQLITE_OK && rc == VLM_OK) {
        vlm_set_err(err, "cannot close %s", tmp);
        rc = VLM_EIO;
    }
    return rc;
}

/* Puts `tmp` at `db_path` unless a database got there first (then that
 * one is kept).  link() never replaces; file systems without hard links
 * fall back to rename(), which the writer lock keeps race-free. */
static int install_db(const char *tmp, const char *db_path, char *err)
{
    int rc = link(tmp, db_path) == 0 || errno == EEXIST ? 0 : -1;
    if (rc && (errno == EPERM || errno == ENOTSUP || errno == EMLINK ||
               errno == ENOSYS)) {
        struct stat sb;
        rc = stat(db_path, &sb) == 0 || rename(tmp, db_path) == 0 ? 0 : -1;
    }
    if (rc) {
        vlm_set_err(err, "cannot create %s: %s", db_path, strerror(errno));
        return VLM_EIO;
    }
    return VLM_OK;
}

static void remove_temp_db(const char *tmp)
{
    char side[COLLECTION_PATH_MAX + 64];
    unlink(tmp);
    snprintf(side, sizeof side, "%s-wal", tmp);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", tmp);
    unlink(side);
}

/* A new collection appears whole or not at all: readers never see a
 * half-migrated database, and two creators never run the same steps. */
static int create_db(collection *c, const char *db_path, char *err)
{
    char tmp[COLLECTION_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/.%s.new-XXXXXX", c->dir, COLLECTION_DB_NAME);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        vlm_set_err(err, "cannot create a database in %s: %s", c->dir,
                    strerror(errno));
        return errno == EACCES || errno == EROFS ? VLM_EREADONLY : VLM_EIO;
    }
    /* SQLite gives -wal/-shm the database's mode. */
    int rc = fchmod(fd, c->private_perms ? 0600 : 0644) == 0 ? VLM_OK : VLM_EIO;
    if (rc) vlm_set_err(err, "cannot chmod %s: %s", tmp, strerror(errno));
    close(fd);
    if (!rc) rc = build_schema(tmp, c->busy_ms, err);
    if (!rc) rc = install_db(tmp, db_path, err);
    remove_temp_db(tmp);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Read-write and read-only opening                                    */
/* ------------------------------------------------------------------ */

static bool disk_full(const char *dir)
{
    struct statvfs vf;
    return statvfs(dir, &vf) == 0 && vf.f_bavail == 0;
}

/* SQLite says "disk I/O error" when the WAL index cannot grow: name the
 * likely cause. */
static void note_disk_full(const char *dir, char *err)
{
    if (!err || !disk_full(dir)) return;
    size_t n = strlen(err);
    snprintf(err + n, VLM_ERR_MAX - n, " (the disk holding %s is full)", dir);
}

static int open_rw(collection *c, const char *db_path, char *err)
{
    int src = sqlite3_open_v2(db_path, &c->db, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK)
        return coll_sqlite_err(c, src, "cannot open the database", err);
    int rc = configure_rw(c->db, c->busy_ms, err);
    if (rc == VLM_OK) rc = schema_migrate(c->db, err);
    if (rc == VLM_EIO) note_disk_full(c->dir, err);
    return rc;
}

/* "file:PATH?params" with the characters a URI gives meaning to escaped. */
static char *sqlite_uri(const char *path, const char *params)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + strlen(params) + 16);
    if (!u) return NULL;
    char *p = u + sprintf(u, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if (*s == '?' || *s == '#' || *s == '%' || *s <= ' ' || *s == 0x7f)
            p += sprintf(p, "%%%02X", *s);
        else
            *p++ = (char)*s;
    }
    sprintf(p, "?%s", params);
    return u;
}

/* Opens with URI params and reads the schema once (that is when SQLite
 * finds out whether it can use the WAL index). */
static int try_open_ro(collection *c, const char *db_path, const char *params)
{
    char *uri = sqlite_uri(db_path, params);
    if (!uri) return SQLITE_NOMEM;
    sqlite3_close(c->db);
    c->db = NULL;
    int rc = sqlite3_open_v2(uri, &c->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(c->db, c->busy_ms);
        rc = sqlite3_exec(c->db,
                          "PRAGMA foreign_keys = ON;"
                          "SELECT count(*) FROM sqlite_master;",
                          NULL, NULL, NULL);
    }
    return rc;
}

static bool wal_in_use(const char *db_path)
{
    char wal[COLLECTION_PATH_MAX + 8];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    return stat(wal, &sb) == 0 && sb.st_size > 0;
}

/* mode=ro reads a live collection safely; it needs the WAL index (-shm),
 * which a reader cannot create in a folder it may not write.  Without a
 * WAL in use (no writer since the last clean close) nothing can change
 * under us, so immutable=1 is safe there and on a read-only mount. */
static int open_ro(collection *c, const char *db_path, bool ro_fs, char *err)
{
    c->read_only = true;
    int rc = try_open_ro(c, db_path, ro_fs ? "immutable=1" : "mode=ro");
    if (rc != SQLITE_OK && !ro_fs && !wal_in_use(db_path))
        rc = try_open_ro(c, db_path, "immutable=1");
    if (rc == SQLITE_OK)
        return schema_check_current(c->db, c->dir, c->ro_why, err);
    vlm_set_err(err, "cannot read collection %s read-only (%s): %s%s", c->dir,
                c->ro_why, c->db ? sqlite3_errmsg(c->db) : "out of memory",
                wal_in_use(db_path)
                    ? "; a writer's log (collection.db-wal) is pending and "
                      "needs the owner to open the collection once"
                    : "");
    return VLM_EREADONLY;
}

int coll_open_db(collection *c, const char *db_path,
                 const collection_options *o, char *err)
{
    int rc = prepare_dir(c, o, err);
    struct stat sb;
    bool exists = rc == VLM_OK && stat(db_path, &sb) == 0;
    if (rc == VLM_OK && !exists && !o->create_if_missing) {
        vlm_set_err(err, "no collection at %s (%s missing)", c->dir,
                    COLLECTION_DB_NAME);
        rc = VLM_ENOTFOUND;
    }
    if (rc != VLM_OK) return rc;
    int access = write_blocker(c->dir, db_path, c->ro_why, sizeof c->ro_why);
    if (o->read_only && access == WRITABLE)
        snprintf(c->ro_why, sizeof c->ro_why, "opened read-only on request");
    if (o->read_only || (access != WRITABLE && o->fallback_read_only && exists))
        return open_ro(c, db_path, access == READ_ONLY_FS, err);
    if (c->ro_why[0]) {
        vlm_set_err(err,
                    "collection %s needs write access here: %s (searches and "
                    "`vlmindex status` work read-only)",
                    c->dir, c->ro_why);
        return VLM_EREADONLY;
    }
    if (!exists) rc = create_db(c, db_path, err);
    /* A collection created private stays private for files made later
     * (vectors.faiss), whatever this open asked for. */
    if (rc == VLM_OK && stat(db_path, &sb) == 0 && (sb.st_mode & 077) == 0)
        c->private_perms = true;
    if (rc == VLM_OK) rc = open_rw(c, db_path, err);
    /* A reader on a full disk (no room for the WAL index) reads anyway. */
    if (rc == VLM_EIO && o->fallback_read_only && disk_full(c->dir)) {
        sqlite3_close(c->db);
        c->db = NULL;
        snprintf(c->ro_why, sizeof c->ro_why, "the disk holding %s is full",
                 c->dir);
        rc = open_ro(c, db_path, false, err);
    }
    return rc;
}
