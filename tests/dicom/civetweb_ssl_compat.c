/*
 * civetweb_ssl_compat.c — lets the test rig run Orthanc's own HTTPS on
 * Debian 12.  Debian's civetweb 1.15 dlopen()s "libssl.so" and calls
 * SSL_get_peer_certificate(), which OpenSSL 3 renamed to
 * SSL_get1_peer_certificate() (a macro now, no longer a symbol): the
 * pointer stays NULL and the first TLS connection crashes Orthanc.
 * orthanc-rig.sh builds this file as a "libssl.so" that depends on the
 * real libssl.so.3 and puts it first on Orthanc's LD_LIBRARY_PATH, so
 * civetweb finds every libssl function plus the old name.  Test rig only;
 * the header is not included because it defines the old name as a macro.
 */
typedef struct ssl_st SSL;
typedef struct x509_st X509;

X509 *SSL_get1_peer_certificate(const SSL *s);
X509 *SSL_get_peer_certificate(const SSL *s);

/* Same semantics: both return a new reference the caller frees. */
X509 *SSL_get_peer_certificate(const SSL *s)
{
    return SSL_get1_peer_certificate(s);
}
