/*
 * vlm_decode_worker.c — the decode worker program that media_decode()
 * starts (media_isolation.h); installed in libexec, never run by hand.
 */
#include <unistd.h>

#include "media/decode_worker.h"

int main(int argc, char **argv)
{
    /* _exit: no atexit work (a leak checker's ptrace would meet the
     * sandbox); the kernel frees everything. */
    _exit(media_worker_main(argc, argv, NULL));
}
