/*
 * dimse_scu.cpp — DCMTK's network library (DcmSCU) behind the C table of
 * dimse_module.h: Study Root C-FIND and C-GET.  Instances a C-GET brings
 * arrive as C-STORE requests on the same association; they are serialised
 * to Part-10 bytes in memory (never to disk) and handed to the C side,
 * which decodes them through media_decode() like any untrusted file.
 * Built only into the loadable module libvlm_dcmtk.so.
 */
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "dimse/dimse_module.h"

namespace
{

/* The data set as a Part-10 file in its received transfer syntax. */
bool serialise(DcmDataset *ds, uint8_t **bytes, size_t *len, char *err)
{
    E_TransferSyntax xfer = ds->getOriginalXfer();
    if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;
    DcmFileFormat ff(ds);
    if (ff.validateMetaInfo(xfer).bad()) return false;
    Uint32 n = ff.calcElementLength(xfer, EET_ExplicitLength) + 1024;
    uint8_t *buf = static_cast<uint8_t *>(malloc(n));
    if (!buf) return false;
    DcmOutputBufferStream out(buf, n);
    ff.transferInit();
    OFCondition c = ff.write(out, xfer, EET_ExplicitLength, nullptr);
    ff.transferEnd();
    void *data;
    offile_off_t got;
    out.flushBuffer(data, got);
    if (c.bad()) {
        free(buf);
        snprintf(err, VLM_ERR_MAX, "cannot encode the instance: %s", c.text());
        return false;
    }
    *bytes = buf;
    *len = static_cast<size_t>(got);
    return true;
}

/* Keeps the instance of the current C-GET in memory. */
class MemoryScu : public DcmSCU
{
  public:
    uint8_t *bytes = nullptr;
    size_t len = 0;
    char err[VLM_ERR_MAX] = "";

    OFCondition handleSTORERequest(const T_ASC_PresentationContextID,
                                   DcmDataset *incoming, OFBool &more,
                                   Uint16 &status) override
    {
        more = OFTrue;
        status = STATUS_Success;
        if (!incoming) return EC_IllegalParameter;
        if (!bytes && !serialise(incoming, &bytes, &len, err))
            status = STATUS_STORE_Refused_OutOfResources;
        delete incoming;
        return EC_Normal;
    }

    dimse_uid_fn on_uid = nullptr;
    void *uid_ctx = nullptr;
    DcmTagKey return_key;

    OFCondition handleFINDResponse(const T_ASC_PresentationContextID id,
                                   QRResponse *rsp, OFBool &wait) override
    {
        OFCondition c = DcmSCU::handleFINDResponse(id, rsp, wait);
        OFString uid;
        if (rsp && rsp->m_dataset &&
            rsp->m_dataset->findAndGetOFString(return_key, uid).good() &&
            !uid.empty() && on_uid && on_uid(uid_ctx, uid.c_str()))
            wait = OFFalse;
        return c;
    }
};

const char *const GET_XFERS[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_RLELosslessTransferSyntax};

void add_contexts(MemoryScu &scu)
{
    OFList<OFString> plain, all;
    plain.push_back(UID_LittleEndianExplicitTransferSyntax);
    plain.push_back(UID_LittleEndianImplicitTransferSyntax);
    for (const char *x : GET_XFERS) all.push_back(x);
    scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel,
                               plain);
    scu.addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel,
                               plain);
    /* 128 contexts at most: two above, the image classes (SCP role). */
    for (int i = 0; i < numberOfDcmImageSOPClassUIDs && i < 120; i++)
        scu.addPresentationContext(dcmImageSOPClassUIDs[i], all,
                                   ASC_SC_ROLE_SCP);
}

int fail(char *err, const char *what, const OFCondition &c)
{
    vlm_set_err(err, "DIMSE %s: %s", what, c.text());
    return VLM_ENETWORK;
}

int scu_open(const dimse_peer *p, dimse_conn **out, char *err)
{
    *out = nullptr;
    /* DCMTK logs to stderr by default; the C side reports errors. */
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    if (!dcmDataDict.isDictionaryLoaded()) {
        vlm_set_err(err, "DIMSE: DCMTK's data dictionary is not loaded");
        return VLM_EUNSUPPORTED;
    }
    MemoryScu *scu = new (std::nothrow) MemoryScu;
    if (!scu) return VLM_ENOMEM;
    scu->setAETitle(p->calling_ae);
    scu->setPeerAETitle(p->called_ae);
    scu->setPeerHostName(p->host);
    scu->setPeerPort(static_cast<Uint16>(p->port));
    scu->setConnectionTimeout(p->timeout_s);
    scu->setACSETimeout(static_cast<Uint32>(p->timeout_s));
    scu->setDIMSETimeout(static_cast<Uint32>(p->timeout_s));
    scu->setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu->setStorageMode(DCMSCU_STORAGE_DISK); /* handleSTORERequest keeps it */
    add_contexts(*scu);
    OFCondition c = scu->initNetwork();
    if (c.good()) c = scu->negotiateAssociation();
    if (c.bad()) {
        int rc = fail(err, "association", c);
        delete scu;
        return rc;
    }
    *out = reinterpret_cast<dimse_conn *>(scu);
    return VLM_OK;
}

/* The C-FIND identifier: level, the given keys, the return key empty. */
int build_query(DcmDataset &q, const char *level, const dimse_key *keys, int n,
                const char *return_key, DcmTagKey &ret, char *err)
{
    q.putAndInsertString(DCM_QueryRetrieveLevel, level);
    for (int i = 0; i <= n; i++) {
        const char *name = i < n ? keys[i].name : return_key;
        DcmTag tag;
        if (DcmTag::findTagFromName(name, tag).bad()) {
            vlm_set_err(err, "DIMSE query: unknown attribute \"%s\"", name);
            return VLM_EINVAL;
        }
        q.putAndInsertString(tag, i < n ? keys[i].value : "");
        if (i == n) ret = tag;
    }
    return VLM_OK;
}

int scu_find(dimse_conn *conn, const char *level, const dimse_key *keys, int n,
             const char *return_key, dimse_uid_fn fn, void *ctx, char *err)
{
    MemoryScu *scu = reinterpret_cast<MemoryScu *>(conn);
    DcmDataset q;
    int rc = build_query(q, level, keys, n, return_key, scu->return_key, err);
    if (rc != VLM_OK) return rc;
    T_ASC_PresentationContextID id = scu->findPresentationContextID(
        UID_FINDStudyRootQueryRetrieveInformationModel, "");
    if (id == 0) {
        vlm_set_err(err, "DIMSE: the peer accepted no Study Root C-FIND");
        return VLM_EUNSUPPORTED;
    }
    scu->on_uid = fn;
    scu->uid_ctx = ctx;
    OFCondition c = scu->sendFINDRequest(id, &q, nullptr);
    scu->on_uid = nullptr;
    return c.good() ? VLM_OK : fail(err, "C-FIND", c);
}

int scu_get(dimse_conn *conn, const char *study, const char *series,
            const char *sop, uint8_t **bytes, size_t *len, char *err)
{
    MemoryScu *scu = reinterpret_cast<MemoryScu *>(conn);
    *bytes = nullptr;
    *len = 0;
    T_ASC_PresentationContextID id = scu->findPresentationContextID(
        UID_GETStudyRootQueryRetrieveInformationModel, "");
    if (id == 0) {
        vlm_set_err(err, "DIMSE: the peer accepted no Study Root C-GET");
        return VLM_EUNSUPPORTED;
    }
    DcmDataset q;
    q.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
    q.putAndInsertString(DCM_StudyInstanceUID, study);
    q.putAndInsertString(DCM_SeriesInstanceUID, series);
    q.putAndInsertString(DCM_SOPInstanceUID, sop);
    scu->err[0] = '\0';
    OFCondition c = scu->sendCGETRequest(id, &q, nullptr);
    *bytes = scu->bytes;
    *len = scu->len;
    scu->bytes = nullptr;
    scu->len = 0;
    if (c.bad()) {
        free(*bytes);
        *bytes = nullptr;
        return fail(err, "C-GET", c);
    }
    if (!*bytes) {
        vlm_set_err(err, "DIMSE C-GET of %s brought no instance%s%s", sop,
                    scu->err[0] ? ": " : "", scu->err);
        return VLM_ENOTFOUND;
    }
    return VLM_OK;
}

void scu_close(dimse_conn *conn)
{
    MemoryScu *scu = reinterpret_cast<MemoryScu *>(conn);
    if (!scu) return;
    scu->releaseAssociation();
    free(scu->bytes);
    delete scu;
}

const dimse_module_ops OPS = {DIMSE_MODULE_ABI, scu_open, scu_find, scu_get,
                              scu_close};

} // namespace

extern "C" __attribute__((visibility("default"))) const dimse_module_ops *
vlm_dcmtk_ops(void)
{
    return &OPS;
}
