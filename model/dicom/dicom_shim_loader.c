/*
 * dicom_shim_loader.c — loads the GDCM decoder module (libvlm_gdcm.so) on
 * the first DICOM decode, so that GDCM's shared libraries and its global
 * constructors (data dictionary loading) cost nothing to the many processes
 * that never see a DICOM file.  Search order: $VLMINDEX_LIBDIR, the install
 * directory, the build tree (for uninstalled runs and tests).
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/dicom/dicom_shim.h"

#ifndef VLM_GDCM_INSTALL_DIR
#define VLM_GDCM_INSTALL_DIR ""
#endif
#ifndef VLM_GDCM_BUILD_DIR
#define VLM_GDCM_BUILD_DIR ""
#endif
/* What a user does about a missing module, e.g. which package ships it. */
#ifndef VLM_GDCM_HINT
#define VLM_GDCM_HINT ""
#endif

static void append_dir(char *list, size_t cap, const char *dir)
{
    size_t used = strlen(list);
    if (used + 1 < cap)
        snprintf(list + used, cap - used, "%s%s", used ? ":" : "", dir);
}

/* dlopen one candidate; NULL with *why set (first real failure wins, since
 * "file exists but will not load" says more than "not here"). */
static dicom_shim_read_fn *open_candidate(const char *dir, char *why,
                                          size_t cap)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, DICOM_SHIM_MODULE) >=
            (int)sizeof path ||
        access(path, F_OK) != 0)
        return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (!why[0]) snprintf(why, cap, "%s", dlerror());
        return NULL;
    }
    dicom_shim_abi_fn *abi =
        (dicom_shim_abi_fn *)dlsym(h, DICOM_SHIM_ABI_SYMBOL);
    dicom_shim_read_fn *rd =
        (dicom_shim_read_fn *)dlsym(h, DICOM_SHIM_READ_SYMBOL);
    if (abi && rd && abi() == DICOM_SHIM_ABI) return rd; /* never dlclosed */
    if (!why[0])
        snprintf(why, cap,
                 "%.300s is from another vlmindex build (ABI %#x, "
                 "expected %#x)",
                 path, abi ? abi() : 0u, DICOM_SHIM_ABI);
    dlclose(h);
    return NULL;
}

dicom_shim_read_fn *dicom_shim_load_from(const char *const *dirs, size_t n,
                                         char *err)
{
    char why[VLM_ERR_MAX] = "", where[VLM_ERR_MAX] = "";
    for (size_t i = 0; i < n; i++) {
        if (!dirs[i] || !dirs[i][0]) continue;
        dicom_shim_read_fn *rd = open_candidate(dirs[i], why, sizeof why);
        if (rd) return rd;
        append_dir(where, sizeof where, dirs[i]);
    }
    if (why[0])
        vlm_set_err(err, "cannot load %s: %s", DICOM_SHIM_MODULE, why);
    else
        vlm_set_err(err, "cannot load %s: not found in %s", DICOM_SHIM_MODULE,
                    where[0] ? where : "(no directory configured)");
    return NULL;
}

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static dicom_shim_read_fn *shim_read;
static char load_error[VLM_ERR_MAX];

static void load_module(void)
{
    /* secure_getenv: a setuid caller must not be steered to another module. */
    const char *dirs[] = {secure_getenv("VLMINDEX_LIBDIR"),
                          VLM_GDCM_INSTALL_DIR, VLM_GDCM_BUILD_DIR};
    shim_read =
        dicom_shim_load_from(dirs, sizeof dirs / sizeof dirs[0], load_error);
    size_t used = strlen(load_error);
    if (!shim_read && VLM_GDCM_HINT[0] && used < sizeof load_error)
        snprintf(load_error + used, sizeof load_error - used, " (%s)",
                 VLM_GDCM_HINT);
}

int dicom_module_preload(char *err)
{
    pthread_once(&load_once, load_module);
    if (shim_read) return VLM_OK;
    vlm_set_err(err, "DICOM support unavailable: %s", load_error);
    return VLM_EUNSUPPORTED;
}

int dicom_shim_read(const void *bytes, size_t len, const char *label,
                    unsigned long long max_pixels, dicom_raw *out, char *err)
{
    pthread_once(&load_once, load_module);
    if (!shim_read) {
        memset(out, 0, sizeof *out);
        vlm_set_err(err, "%s: DICOM support unavailable: %s", label,
                    load_error);
        return VLM_EUNSUPPORTED;
    }
    return shim_read(bytes, len, label, max_pixels, out, err);
}
