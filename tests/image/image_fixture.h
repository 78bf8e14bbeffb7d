/*
 * image_fixture.h — helpers shared by the image tests: locating fixture
 * images (skipping cleanly when the fixtures are absent), decoding and
 * preprocessing to the 224x224 u8 reference layout, and diff statistics.
 */
#ifndef VLM_TESTS_IMAGE_FIXTURE_H
#define VLM_TESTS_IMAGE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "model/image/image.h"

#define IMG_S 224
#define IMG_N (IMG_S * IMG_S * 3)

/* $VLM_FIXTURES/images/<sub> into buf; skips the test when absent. */
void image_fixture_dir(const char *sub, char *buf, size_t cap);
/* $VLM_FIXTURES/<rel> into buf; skips the test when absent. */
void fixture_path(const char *rel, char *buf, size_t cap);
/* photos/NAME or edge/NAME, whichever exists; 0 when neither. */
int image_fixture_find(const char *name, char *buf, size_t cap);

/* Decode `path` (min_short_side as the fast-path option) and resize+crop to
 * 224x224 RGB u8; asserts success. */
void decode_224(const char *path, int min_short_side, uint8_t *out);

typedef struct diff_stats {
    int max_abs;
    double over2; /* fraction of values differing by more than 2 */
    double mean_abs;
} diff_stats;
diff_stats u8_diff(const uint8_t *a, const uint8_t *b, size_t n);

double now_seconds(void);

#endif
