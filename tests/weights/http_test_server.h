/*
 * http_test_server.h — a tiny single-threaded HTTP/1.1 server for the hub
 * download tests.  It listens on 127.0.0.1 (random port) in its own thread
 * and serves GET {prefix}{file} from a folder, honouring "Range: bytes=N-",
 * the way huggingface.co serves /{repo}/resolve/{rev}/{file}.
 * Knobs let a test make it misbehave (wrong size, wrong hash, cut body).
 */
#ifndef VLM_HTTP_TEST_SERVER_H
#define VLM_HTTP_TEST_SERVER_H

#include <stdint.h>

typedef struct hts hts;

typedef struct hts_knobs {
    int send_sha256; /* 1: X-Linked-Etag with the file's sha256 (hub LFS style),
                              2: a wrong sha256 */
    int64_t size_lie;  /* added to X-Linked-Size (0: header omitted) */
    int64_t cut_after; /* >0: send only this many body bytes, then close */
    int ignore_range;  /* reply 200 + whole file even to Range requests */
    int require_token; /* 1: 401 unless "Authorization: Bearer secret" */
    int64_t bytes_per_s; /* >0: pace bodies at about this many bytes/s */
} hts_knobs;

/* Starts serving `root` under URL path `prefix` ("/org/model/resolve/main/"). */
hts *hts_start(const char *root, const char *prefix);
void hts_stop(hts *s);
int hts_port(const hts *s);
void hts_set_knobs(hts *s, const hts_knobs *k);

/* Counters since start: requests seen, and the start of the last Range
 * request (-1 if the last request had none). */
int hts_requests(const hts *s);
int64_t hts_last_range(const hts *s);

#endif
