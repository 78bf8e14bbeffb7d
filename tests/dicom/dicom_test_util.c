/*
 * dicom_test_util.c — see dicom_test_util.h.  Paths of the generator and
 * script are compiled in by meson (SYN_GENERATOR, SYN_SCRIPT).
 */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/dicom/dicom_test_util.h"

static char syn_dir[256];

void syn_setup(void)
{
    snprintf(syn_dir, sizeof syn_dir, "/tmp/vlm-dicom-XXXXXX");
    if (!mkdtemp(syn_dir)) {
        setenv("VLM_DICOM_SYN_ERR", "mkdtemp failed", 1);
        syn_dir[0] = '\0';
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh '%s' '%s' '%s' > '%s/gen.log' 2>&1",
             SYN_SCRIPT, SYN_GENERATOR, syn_dir, syn_dir);
    int rc = system(cmd);
    if (rc != 0) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "generating synthetic DICOM failed (see "
                 "%s/gen.log): is dcmtk/libgdcm-tools installed?",
                 syn_dir);
        setenv("VLM_DICOM_SYN_ERR", msg, 1);
    }
    setenv("VLM_DICOM_SYN", syn_dir, 1);
}

static int remove_entry(const char *p, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void syn_teardown(void)
{
    if (syn_dir[0] && !getenv("VLM_DICOM_KEEP"))
        nftw(syn_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *syn_error(void)
{
    const char *e = getenv("VLM_DICOM_SYN_ERR");
    return e ? e : (getenv("VLM_DICOM_SYN") ? NULL : "fixtures not set up");
}

const char *syn_path(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("VLM_DICOM_SYN");
    if (!dir) return NULL;
    /* Files made before a missing tool stopped the script are usable. */
    snprintf(buf, cap, "%s/%s", dir, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}

int write_all(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(bytes, 1, len, f) != len;
    return (fclose(f) || bad) ? -1 : 0;
}

int bytes_contain(const void *hay, size_t len, const char *needle)
{
    return memmem(hay, len, needle, strlen(needle)) != NULL;
}

void test_img_free(img_rgb *im)
{
    free(im->pixels);
    free(im->alpha);
    memset(im, 0, sizeof *im);
}
