/* sha256_file.c — see sha256_file.h. */
#include "model/weights/sha256_file.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 20)

int vlm_sha256_file(const char *path, char hex[VLM_SHA256_HEX_LEN + 1],
                    char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        vlm_set_err(err, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    unsigned char *buf = malloc(CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = VLM_OK;
    if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        vlm_set_err(err, "%s: cannot set up SHA-256", path);
        rc = VLM_ENOMEM;
    }
    size_t n;
    while (rc == VLM_OK && (n = fread(buf, 1, CHUNK, fp)) > 0)
        if (!EVP_DigestUpdate(ctx, buf, n)) rc = VLM_EIO;
    if (rc == VLM_OK && ferror(fp)) {
        vlm_set_err(err, "%s: read error", path);
        rc = VLM_EIO;
    }
    unsigned char md[32];
    unsigned int len = 0;
    if (rc == VLM_OK && EVP_DigestFinal_ex(ctx, md, &len) && len == 32) {
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    } else if (rc == VLM_OK) {
        vlm_set_err(err, "%s: SHA-256 failed", path);
        rc = VLM_EIO;
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(fp);
    return rc;
}
