#include "indexer/image_source.h"

int image_source_load(const char *path, const dicom_window *window,
                      img_rgb *out, char *err)
{
    int is_dicom = dicom_sniff_file(path, err);
    if (is_dicom < 0) return VLM_EIO;
    if (!is_dicom) return img_decode_file(path, NULL, out, NULL, err);
    dicom_load_opts o = {0};
    if (window) o.window = *window;
    dicom_header h;
    return dicom_load_file(path, &o, out, &h, err);
}
