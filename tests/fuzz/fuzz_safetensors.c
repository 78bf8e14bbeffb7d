/*
 * fuzz_safetensors.c — libFuzzer target for the safetensors validator.
 *
 * Any byte string must either be rejected with a message or yield a handle
 * whose every tensor span lies inside the input; touching all tensor bytes
 * lets AddressSanitizer catch a span the validator should have refused.
 */
#include "model/weights/safetensors.h"

#include <stdint.h>
#include <string.h>

static void touch_tensors(const st_file *f, const uint8_t *buf, size_t len)
{
    volatile uint8_t sink = 0;
    for (int i = 0; i < st_file_count(f); i++) {
        const st_tensor *t = st_file_tensor(f, i);
        const uint8_t *p = t->data;
        if (t->nbytes && (p < buf || p + t->nbytes > buf + len))
            __builtin_trap();
        for (size_t k = 0; k < t->nbytes; k++) sink ^= p[k];
        if (st_file_find(f, t->name) == NULL) __builtin_trap();
        float one;
        if (t->numel == 1) (void)st_tensor_to_f32(t, &one, 1, NULL);
    }
    (void)st_file_metadata(f, "format");
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VLM_ERR_MAX];
    st_file *f = NULL;
    if (st_file_from_buffer(data, size, "fuzz-input", &f, err) == VLM_OK) {
        touch_tensors(f, data, size);
        st_file_close(f);
    } else if (f != NULL || strstr(err, "fuzz-input") == NULL) {
        __builtin_trap(); /* failures must name the input and return no handle */
    }
    return 0;
}
