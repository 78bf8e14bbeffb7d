/*
 * media_path.h — the absolute, normalised form of a path users type, the
 * form the collection stores (`--in DIR`, `vlmindex rm PATH`).
 */
#ifndef VLM_MEDIA_PATH_H
#define VLM_MEDIA_PATH_H

/* realpath() that also works for a path that no longer exists: its parent
 * folder is resolved and the last component appended; when the parent is
 * gone too (an unplugged disk), the path made absolute as given.  Returns a
 * malloc'ed string, NULL only when out of memory. */
char *media_abspath(const char *path);

#endif
