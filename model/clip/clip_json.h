/*
 * clip_json.h — typed lookups in config JSON (json-c) with defaults, shared
 * by the config readers of model/clip.  A key that is absent or has the
 * wrong JSON type yields the default.
 */
#ifndef VLM_CLIP_JSON_H
#define VLM_CLIP_JSON_H

#include <json-c/json.h>

/* obj[k] when obj is an object that has k, else NULL. */
struct json_object *cj_key(struct json_object *obj, const char *k);
int cj_int(struct json_object *obj, const char *k, int def);
double cj_num(struct json_object *obj, const char *k, double def);
int cj_bool(struct json_object *obj, const char *k, int def);
/* dst = obj[k] when that is an array of 3 numbers, else def. */
void cj_triple(struct json_object *obj, const char *k, const float *def,
               float *dst);

/* Parses the file at path, which must hold one JSON object.  VLM_OK, or an
 * error naming the file (VLM_ENOTFOUND when it does not exist). */
int cj_parse_file(const char *path, struct json_object **out, char *err);

#endif
