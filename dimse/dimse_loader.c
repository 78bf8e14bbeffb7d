/*
 * dimse_loader.c — dlopen()s libvlm_dcmtk.so on the first DIMSE
 * connection.  Search order as for the GDCM module: $VLMINDEX_LIBDIR, the
 * install directory, the build tree (uninstalled runs and tests).
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dimse/dimse_internal.h"

#ifndef VLM_DCMTK_INSTALL_DIR
#define VLM_DCMTK_INSTALL_DIR ""
#endif
#ifndef VLM_DCMTK_BUILD_DIR
#define VLM_DCMTK_BUILD_DIR ""
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const dimse_module_ops *ops;
static char load_error[VLM_ERR_MAX];

static const dimse_module_ops *try_dir(const char *dir)
{
    char path[PATH_MAX];
    if (!dir || !dir[0] ||
        snprintf(path, sizeof path, "%s/%s", dir, DIMSE_MODULE) >=
            (int)sizeof path ||
        access(path, F_OK) != 0)
        return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (!load_error[0])
            snprintf(load_error, sizeof load_error, "%s", dlerror());
        return NULL;
    }
    dimse_module_fn *fn = (dimse_module_fn *)dlsym(h, DIMSE_MODULE_SYMBOL);
    const dimse_module_ops *o = fn ? fn() : NULL;
    if (o && o->abi == DIMSE_MODULE_ABI) return o; /* never dlclosed */
    if (!load_error[0])
        snprintf(load_error, sizeof load_error,
                 "%.300s is from another vlmindex build", path);
    dlclose(h);
    return NULL;
}

static void load(void)
{
    const char *dirs[] = {secure_getenv("VLMINDEX_LIBDIR"),
                          VLM_DCMTK_INSTALL_DIR, VLM_DCMTK_BUILD_DIR};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !ops; i++)
        ops = try_dir(dirs[i]);
    if (!ops && !load_error[0])
        snprintf(load_error, sizeof load_error,
                 "not found (install the "
                 "DICOM module package)");
}

const dimse_module_ops *dimse_module(char *err)
{
    pthread_once(&once, load);
    if (!ops)
        vlm_set_err(err, "DIMSE support unavailable: cannot load %s: %s",
                    DIMSE_MODULE, load_error);
    return ops;
}
