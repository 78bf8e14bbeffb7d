/*
 * schema_sql.c — the collection schema as numbered migration steps.
 * Step i upgrades a database from PRAGMA user_version i to i+1; never edit
 * a released step, append a new one (e.g. new DICOM fields, new tables).
 *
 * Privacy: the dicom table holds de-identified fields only.  Patient name,
 * patient ID and birth date must never get a column (tests/schema asserts
 * this on the schema text).
 */
#include "schema/collection_internal.h"

static const char step1_initial[] =
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    /* generation: bumped on every change to the set of embeddings.
     * changelog_floor: vector_changes holds every change above it. */
    "INSERT INTO meta (key, value) VALUES ('generation', '0'),\n"
    "  ('changelog_floor', '0');\n"
    "CREATE TABLE model (\n"
    "  id         INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  name       TEXT NOT NULL,\n"
    "  dims       INTEGER NOT NULL,\n"
    "  model_id   TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE roots (\n"
    "  path     TEXT PRIMARY KEY,\n"
    "  added_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE images (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  path          TEXT NOT NULL UNIQUE,\n"
    "  root          TEXT,\n"
    "  size          INTEGER NOT NULL DEFAULT 0,\n"
    "  mtime_ns      INTEGER NOT NULL DEFAULT 0,\n"
    "  content_hash  TEXT,\n"
    "  width         INTEGER,\n"
    "  height        INTEGER,\n"
    "  format        TEXT,\n"
    "  exif_datetime TEXT,\n"
    "  orientation   INTEGER,\n"
    "  status        TEXT NOT NULL DEFAULT 'ok'\n"
    "                CHECK (status IN ('ok', 'failed')),\n"
    "  error         TEXT,\n"
    "  embedding     BLOB, -- float32 little-endian, L2-normalised\n"
    "  added_at      INTEGER NOT NULL,\n"
    "  updated_at    INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX images_by_hash ON images (content_hash)\n"
    "  WHERE content_hash IS NOT NULL;\n"
    "CREATE INDEX images_failed ON images (path) WHERE status = 'failed';\n"
    /* One row per embedding change; generation is the value meta.generation
     * took for it.  Lets a saved vector index catch up incrementally. */
    "CREATE TABLE vector_changes (\n"
    "  generation INTEGER PRIMARY KEY,\n"
    "  image_id   INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE classifications (\n"
    "  image_id      INTEGER NOT NULL REFERENCES images (id)\n"
    "                ON DELETE CASCADE,\n"
    "  labelset_hash TEXT NOT NULL,\n"
    "  labels        TEXT NOT NULL, -- JSON array\n"
    "  top_label     TEXT NOT NULL,\n"
    "  top_prob      REAL NOT NULL,\n"
    "  probs         TEXT NOT NULL, -- JSON array, same order as labels\n"
    "  model_id      TEXT NOT NULL,\n"
    "  created_at    INTEGER NOT NULL,\n"
    "  PRIMARY KEY (image_id, labelset_hash)\n"
    ");\n"
    "CREATE INDEX classifications_by_label\n"
    "  ON classifications (labelset_hash, top_label);\n"
    "CREATE TABLE captions (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  image_id   INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,\n"
    "  model      TEXT NOT NULL,\n"
    "  prompt     TEXT NOT NULL,\n"
    "  text       TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  UNIQUE (image_id, model, prompt)\n"
    ");\n"
    "CREATE VIRTUAL TABLE captions_fts USING fts5 (\n"
    "  text, content = 'captions', content_rowid = 'id'\n"
    ");\n"
    /* External-content FTS5 stays in sync through triggers. */
    "CREATE TRIGGER captions_ai AFTER INSERT ON captions BEGIN\n"
    "  INSERT INTO captions_fts (rowid, text) VALUES (new.id, new.text);\n"
    "END;\n"
    "CREATE TRIGGER captions_ad AFTER DELETE ON captions BEGIN\n"
    "  INSERT INTO captions_fts (captions_fts, rowid, text)\n"
    "    VALUES ('delete', old.id, old.text);\n"
    "END;\n"
    "CREATE TRIGGER captions_au AFTER UPDATE ON captions BEGIN\n"
    "  INSERT INTO captions_fts (captions_fts, rowid, text)\n"
    "    VALUES ('delete', old.id, old.text);\n"
    "  INSERT INTO captions_fts (rowid, text) VALUES (new.id, new.text);\n"
    "END;\n"
    "CREATE TABLE dicom (\n"
    "  image_id           INTEGER PRIMARY KEY REFERENCES images (id)\n"
    "                     ON DELETE CASCADE,\n"
    "  study_uid          TEXT,\n"
    "  series_uid         TEXT,\n"
    "  sop_uid            TEXT UNIQUE,\n"
    "  accession          TEXT,\n"
    "  modality           TEXT,\n"
    "  body_part          TEXT,\n"
    "  study_date         TEXT,\n"
    "  series_description TEXT,\n"
    "  instance_number    INTEGER,\n"
    "  \"window\"           TEXT\n"
    ");\n"
    "CREATE INDEX dicom_by_series ON dicom (series_uid);\n";

/* A row's key is its path, or for an instance without a file of its own
 * (DICOMweb, later DIMSE) its SOP Instance UID.  Version 1 kept the UID of
 * DICOMweb rows in content_hash, where move detection looks for file
 * bytes: move it to its own column. */
static const char step2_sop_uid_key[] =
    "ALTER TABLE images ADD COLUMN sop_uid TEXT;\n"
    "UPDATE images SET sop_uid = content_hash, content_hash = NULL\n"
    "  WHERE format = 'dicomweb';\n"
    "CREATE UNIQUE INDEX images_by_sop_uid ON images (sop_uid)\n"
    "  WHERE sop_uid IS NOT NULL;\n";

/* Per-root exclude globs (`vlmindex exclude`, `add -x`, `rm` inside a
 * root).  root '' applies to every root; off = 1 turns one of the built-in
 * default excludes off for that scope. */
static const char step3_excludes[] =
    "CREATE TABLE excludes (\n"
    "  root     TEXT NOT NULL,\n"
    "  glob     TEXT NOT NULL,\n"
    "  off      INTEGER NOT NULL DEFAULT 0 CHECK (off IN (0, 1)),\n"
    "  added_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (root, glob)\n"
    ") WITHOUT ROWID;\n";

/* The camera (EXIF Make and Model) of each image, for --camera filters. */
static const char step4_camera[] =
    "ALTER TABLE images ADD COLUMN camera_make TEXT;\n"
    "ALTER TABLE images ADD COLUMN camera_model TEXT;\n";

const char *const schema_migration_steps[] = {
    step1_initial,
    step2_sop_uid_key,
    step3_excludes,
    step4_camera,
};
const int schema_migration_count =
    (int)(sizeof schema_migration_steps / sizeof schema_migration_steps[0]);
