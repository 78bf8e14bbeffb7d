/*
 * collection_internal.h — shared by the schema/ sources only: the
 * collection struct, a prepared-statement cache and small SQLite helpers.
 */
#ifndef VLM_SCHEMA_COLLECTION_INTERNAL_H
#define VLM_SCHEMA_COLLECTION_INTERNAL_H

#include <sqlite3.h>
#include <time.h>

#include "schema/collection.h"

#define COLL_STMT_CACHE 48

/* Storage for the strings of a collection_image / collection_brief that
 * a lookup or cursor step hands out (valid until the next fill). */
typedef struct coll_text_buf {
    char *data;
    size_t cap;
} coll_text_buf;

/* collection_get_counts' statement (its query plan is tested). */
extern const char coll_counts_sql[];

struct collection {
    sqlite3 *db;
    char *dir;
    bool private_perms;
    bool read_only;                        /* SQLite opened read-only */
    char ro_why[COLLECTION_PATH_MAX + 96]; /* why read-only ("" if not) */
    int model_dims;                        /* 0 until a model is bound */
    int busy_ms;                           /* configured busy timeout */
    coll_text_buf row_text; /* strings of the last single-row lookup */
    struct {
        const char *sql; /* static string: the cache key is its address */
        sqlite3_stmt *stmt;
    } cache[COLL_STMT_CACHE];
};

/* The SQLite connection, for the schema room only (vector_index.c reads
 * its snapshot in one transaction; tests/schema inspect the schema). */
sqlite3 *collection_db(collection *c);

/* Prepared (and reset) statement for a static SQL string; NULL + err. */
sqlite3_stmt *coll_stmt(collection *c, const char *sql, char *err);

/* Runs SQL without results (several statements allowed). */
int coll_exec(collection *c, const char *sql, char *err);

/* Steps a statement expected to finish (SQLITE_DONE); resets it. */
int coll_step_done(collection *c, sqlite3_stmt *st, const char *what,
                   char *err);

/* Sets err from the connection's last error; returns a VLM status. */
int coll_sqlite_err(collection *c, int rc, const char *what, char *err);

/* Bind a string that may be NULL. */
void coll_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Copies column i (NULL -> "") into dst[size]. */
void coll_column_text(sqlite3_stmt *st, int i, char *dst, size_t size);

/* Appends v to a growable malloc'ed array; false when out of memory. */
bool coll_push_id(int64_t **arr, size_t *n, size_t *cap, int64_t v);

/* Records that image `id`'s embedding changed: bumps meta.generation and
 * appends to the change log.  Call inside the caller's transaction. */
int coll_embedding_changed(collection *c, int64_t id, char *err);

/* Runs fn inside a savepoint, so single calls are atomic whether or not
 * the caller has a batch transaction open. */
int coll_atomic(collection *c, int (*fn)(collection *, void *, char *),
                void *ud, char *err);

/* When an image was taken: EXIF DateTimeOriginal when it is a real date,
 * else the file's mtime in local time (EXIF times carry no zone), as
 * "YYYY:MM:DD HH:MM:SS"; and whether it came from EXIF. */
#define COLL_TAKEN_EXIF_SQL                                                  \
    "(exif_datetime GLOB '[12][0-9][0-9][0-9]:[01][0-9]:[0-3][0-9] "         \
    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*')"
#define COLL_TAKEN_SQL                                                       \
    "(CASE WHEN " COLL_TAKEN_EXIF_SQL " THEN substr(exif_datetime, 1, 19) "  \
    "WHEN mtime_ns > 0 THEN strftime('%Y:%m:%d %H:%M:%S', "                  \
    "mtime_ns / 1000000000, 'unixepoch', 'localtime') ELSE '' END)"

/* Applies pending schema migrations (migrations.c). */
int schema_migrate(sqlite3 *db, char *err);

/* For a read-only open: VLM_OK when the schema is current, VLM_EREADONLY
 * when it needs migrating (err names `dir` and `why` it cannot be
 * written), VLM_EUNSUPPORTED when it is newer than this build. */
int schema_check_current(sqlite3 *db, const char *dir, const char *why,
                         char *err);

/* Opens c->db (folder, pragmas, migrations or read-only check) for
 * collection_open (collection_open.c); db_path is DIR/collection.db. */
int coll_open_db(collection *c, const char *db_path,
                 const collection_options *o, char *err);

/* Migration steps (schema_sql.c): step i moves user_version i -> i+1. */
extern const char *const schema_migration_steps[];
extern const int schema_migration_count;

static inline int64_t coll_now(void) { return (int64_t)time(NULL); }

#endif
