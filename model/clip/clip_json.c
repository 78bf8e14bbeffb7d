/* clip_json.c — typed config lookups (clip_json.h). */
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_config.h"
#include "model/clip/clip_json.h"

struct json_object *cj_key(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object))
        json_object_object_get_ex(o, k, &v);
    return v;
}

static int is_number(struct json_object *v)
{
    return v && (json_object_is_type(v, json_type_int) ||
                 json_object_is_type(v, json_type_double));
}

int cj_int(struct json_object *o, const char *k, int def)
{
    struct json_object *v = cj_key(o, k);
    return is_number(v) ? json_object_get_int(v) : def;
}

double cj_num(struct json_object *o, const char *k, double def)
{
    struct json_object *v = cj_key(o, k);
    return is_number(v) ? json_object_get_double(v) : def;
}

int cj_bool(struct json_object *o, const char *k, int def)
{
    struct json_object *v = cj_key(o, k);
    if (v && json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    return def;
}

void cj_triple(struct json_object *o, const char *k, const float *def,
               float *dst)
{
    struct json_object *v = cj_key(o, k);
    int ok = v && json_object_is_type(v, json_type_array) &&
             json_object_array_length(v) == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = is_number(json_object_array_get_idx(v, i));
    for (int i = 0; i < 3; i++)
        dst[i] =
            ok ? (float)json_object_get_double(json_object_array_get_idx(v, i))
               : def[i];
}

int cj_parse_file(const char *path, struct json_object **out, char *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = clip_read_file(path, &text, &len, err);
    if (rc) return rc;
    struct json_tokener *tok = json_tokener_new();
    if (!tok) {
        free(text);
        return VLM_ENOMEM;
    }
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    free(text);
    if (!root || jerr != json_tokener_success ||
        !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        vlm_set_err(err, "%s: invalid JSON (%s)", path,
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                                                 : "not an object");
        return VLM_EFORMAT;
    }
    *out = root;
    return VLM_OK;
}
