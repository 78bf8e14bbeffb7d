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

/* What a root was when last seen online, so that an unplugged disk or an
 * unmounted share (the folder is missing, empty, or on another device) is
 * told apart from files that were deleted: dev is its st_dev, kind 'dir'
 * or 'file', seen_at when a walk last found it online.  NULL = not seen
 * since this step (roots added before version 5). */
static const char step5_root_identity[] =
    "ALTER TABLE roots ADD COLUMN dev INTEGER;\n"
    "ALTER TABLE roots ADD COLUMN kind TEXT;\n"
    "ALTER TABLE roots ADD COLUMN seen_at INTEGER;\n";

/* A label set is stored once and referenced by id: earlier versions copied
 * the whole label list (JSON) into every classification row, so 10,000
 * labels over 200 images took 59 MB.  probs becomes float32 little-endian, one
 * per label in the set's order (rows written before this step keep their
 * JSON text array). */
static const char step6_labelsets[] =
    "CREATE TABLE labelsets (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  hash       TEXT NOT NULL UNIQUE, -- labels + templates + model\n"
    "  labels     TEXT NOT NULL,        -- JSON array\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    "INSERT INTO labelsets (hash, labels, created_at)\n"
    "  SELECT labelset_hash, min(labels), min(created_at)\n"
    "  FROM classifications GROUP BY labelset_hash;\n"
    "CREATE TABLE classifications_by_id (\n"
    "  image_id    INTEGER NOT NULL REFERENCES images (id)\n"
    "              ON DELETE CASCADE,\n"
    "  labelset_id INTEGER NOT NULL REFERENCES labelsets (id)\n"
    "              ON DELETE CASCADE,\n"
    "  top_label   TEXT NOT NULL,\n"
    "  top_prob    REAL NOT NULL,\n"
    "  probs       BLOB NOT NULL,\n"
    "  model_id    TEXT NOT NULL,\n"
    "  created_at  INTEGER NOT NULL,\n"
    "  PRIMARY KEY (image_id, labelset_id)\n"
    ");\n"
    "INSERT INTO classifications_by_id SELECT c.image_id, l.id, c.top_label,\n"
    "  c.top_prob, c.probs, c.model_id, c.created_at\n"
    "  FROM classifications c JOIN labelsets l ON l.hash = c.labelset_hash;\n"
    "DROP TABLE classifications;\n"
    "ALTER TABLE classifications_by_id RENAME TO classifications;\n"
    "CREATE INDEX classifications_by_label\n"
    "  ON classifications (labelset_id, top_label);\n";

/* Linear probes trained from the user's examples (query/probe.h): the
 * weights, the model they belong to, the cross-validated metrics and the
 * examples used.  A two-class probe stores one weight vector (class 0
 * against class 1); more classes store one vector each (one-vs-rest). */
static const char step7_probes[] =
    "CREATE TABLE probes (\n"
    "  name                TEXT PRIMARY KEY,\n"
    "  model_id            TEXT NOT NULL,\n"
    "  model_name          TEXT NOT NULL,\n"
    "  dims                INTEGER NOT NULL,\n"
    "  reg_c               REAL NOT NULL, -- liblinear's C, picked by CV\n"
    "  folds               INTEGER NOT NULL,\n"
    "  cv_accuracy         REAL NOT NULL,\n"
    "  cv_auc              REAL NOT NULL,\n"
    "  cv_logloss          REAL NOT NULL,\n"
    "  precision_target    REAL,\n"
    "  threshold           REAL, -- NULL: the target was not reached\n"
    "  threshold_precision REAL,\n"
    "  threshold_recall    REAL,\n"
    "  created_at          INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE probe_classes (\n"
    "  probe    TEXT NOT NULL REFERENCES probes (name) ON DELETE CASCADE,\n"
    "  idx      INTEGER NOT NULL,\n"
    "  name     TEXT NOT NULL,\n"
    "  examples INTEGER NOT NULL,\n"
    "  weights  BLOB, -- float32 LE [dims]; NULL: the complement of class 0\n"
    "  bias     REAL,\n"
    "  PRIMARY KEY (probe, idx)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE probe_examples (\n"
    "  probe TEXT NOT NULL REFERENCES probes (name) ON DELETE CASCADE,\n"
    "  path  TEXT NOT NULL,\n"
    "  class INTEGER NOT NULL,\n"
    "  PRIMARY KEY (probe, path)\n"
    ") WITHOUT ROWID;\n";

/* The model family (config.json model_type: clip, siglip, chinese_clip),
 * so a collection can say which kind of model it holds and refuse another
 * family by name.  NULL = not known yet: rows made before get it from the
 * first model that binds with a matching id. */
static const char step8_model_family[] =
    "ALTER TABLE model ADD COLUMN family TEXT;\n";

/* A collection built by `vlmindex merge` remembers where each row came
 * from (source collection and its row id), so merging again after a shard
 * changed moves only the rows that changed and removes the ones the shard
 * dropped. */
static const char step9_merge_sources[] =
    "CREATE TABLE merge_sources (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  dir       TEXT NOT NULL UNIQUE, -- the source collection's folder\n"
    "  shard     TEXT,                 -- its shard spec K/N, if any\n"
    "  merged_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE merge_rows (\n"
    "  image_id  INTEGER PRIMARY KEY REFERENCES images (id)\n"
    "            ON DELETE CASCADE,\n"
    "  source    INTEGER NOT NULL REFERENCES merge_sources (id),\n"
    "  source_id INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX merge_rows_by_source ON merge_rows (source, source_id);\n";

/* Counting the embedded images must not read every row: at 10M images
 * the table is 24 GB and `status` took seconds, serve's /api/status tens
 * of seconds.  The rows without an embedding are few (failed, pending);
 * this index holds only them, so embedded = all - these. */
static const char step10_unembedded[] =
    "CREATE INDEX images_unembedded ON images (id) WHERE embedding IS NULL;\n";

const char *const schema_migration_steps[] = {
    step1_initial,       step2_sop_uid_key, step3_excludes, step4_camera,
    step5_root_identity, step6_labelsets,   step7_probes,   step8_model_family,
    step9_merge_sources, step10_unembedded,
};
const int schema_migration_count =
    (int)(sizeof schema_migration_steps / sizeof schema_migration_steps[0]);
