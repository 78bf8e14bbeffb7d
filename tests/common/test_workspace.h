/*
 * test_workspace.h — a scratch folder for tests that need a model and
 * images: a hub-layout model folder assembled from the fixtures (weights +
 * CLIP tokenizer), a private copy of fixtures/images/photos, and the path
 * a collection goes to.
 */
#ifndef VLM_TESTS_WORKSPACE_H
#define VLM_TESTS_WORKSPACE_H

typedef struct test_ws {
    char root[512];   /* temporary folder, removed by test_ws_cleanup */
    char model[600];  /* model folder (fixture weights + tokenizer) */
    char coll[600];   /* collection folder (not created) */
    char photos[600]; /* a private, writable copy of images/photos */
    char fixtures[512];
} test_ws;

/* Skips the current Criterion test (with a message) when the fixtures are
 * absent.  model_name: a fixture folder such as "clip-tiny-quickgelu-f32". */
void test_ws_init(test_ws *ws, const char *model_name);
void test_ws_cleanup(test_ws *ws);

/* Runs `sh -c cmd`; returns its exit status. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
