/*
 * worker_sandbox.c — what a decode worker may still do once it reads
 * untrusted bytes: compute in its own memory, talk to its parent over the
 * descriptors it already holds, grow its shared memory, end itself.
 *
 * Limits: address space (RLIMIT_AS, so a runaway allocation fails inside
 * the worker), no core dumps (a decoder crash on a DICOM file must not
 * write patient data to disk).  seccomp: an allowlist; opening, creating
 * and statting files, sockets, exec, fork/clone, memfd_create and ioctl are
 * refused with an errno (so a library that probes for a file degrades
 * instead of dying), and every other system call kills the worker
 * (SIGSYS), as does mapping or making memory executable.  Sanitizer builds
 * refuse unknown calls with ENOSYS instead, so the sanitizer's report still
 * gets out.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "media/decode_worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif
#if defined(WORKER_ASAN) || defined(VLM_SANITIZED)
#define WORKER_SANITIZED 1
/* GCC's UBSan runtime reads its options on its first report, which comes
 * after the sandbox forbids reading /proc/self/environ: these are what it
 * then uses, so a finding in a worker ends it and fails the file. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}
#endif

static void set_limits(int memory_mb, int *applied)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    *applied = 0;
#ifndef WORKER_ASAN
    if (memory_mb > 0) {
        rlim_t bytes = (rlim_t)memory_mb << 20;
        struct rlimit as = {bytes, bytes}, now;
        /* Read back: qemu-user accepts RLIMIT_AS and ignores it. */
        if (setrlimit(RLIMIT_AS, &as) == 0 && getrlimit(RLIMIT_AS, &now) == 0 &&
            now.rlim_cur == bytes)
            *applied = memory_mb;
    }
#else
    (void)memory_mb;
#endif
#ifndef WORKER_SANITIZED
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* nor can another process read it */
#endif
}

static void allow_plain(scmp_filter_ctx f)
{
    static const int calls[] = {
        SCMP_SYS(read),
        SCMP_SYS(write),
        SCMP_SYS(readv),
        SCMP_SYS(writev),
        SCMP_SYS(close),
        SCMP_SYS(lseek),
        SCMP_SYS(fstat),
        SCMP_SYS(brk),
        SCMP_SYS(munmap),
        SCMP_SYS(mremap),
        SCMP_SYS(madvise),
        SCMP_SYS(ftruncate),
        SCMP_SYS(futex),
        SCMP_SYS(exit),
        SCMP_SYS(exit_group),
        SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigprocmask),
        SCMP_SYS(rt_sigaction),
        SCMP_SYS(sigaltstack),
        SCMP_SYS(setitimer),
        SCMP_SYS(getitimer),
        SCMP_SYS(clock_gettime),
        SCMP_SYS(clock_nanosleep),
        SCMP_SYS(nanosleep),
        SCMP_SYS(gettimeofday),
        SCMP_SYS(getpid),
        SCMP_SYS(gettid),
        SCMP_SYS(getrandom),
        SCMP_SYS(sched_yield),
        SCMP_SYS(sched_getaffinity),
        SCMP_SYS(sysinfo),
        SCMP_SYS(getrusage),
        SCMP_SYS(restart_syscall),
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        seccomp_rule_add(f, SCMP_ACT_ALLOW, calls[i], 0);
}

/* Refused with an errno: what a library might try on its own. */
static void refuse_gently(scmp_filter_ctx f)
{
    static const int calls[] = {
        SCMP_SYS(open),         SCMP_SYS(openat),     SCMP_SYS(openat2),
        SCMP_SYS(creat),        SCMP_SYS(stat),       SCMP_SYS(lstat),
        SCMP_SYS(statx),        SCMP_SYS(access),     SCMP_SYS(faccessat),
        SCMP_SYS(faccessat2),   SCMP_SYS(readlink),   SCMP_SYS(readlinkat),
        SCMP_SYS(socket),       SCMP_SYS(socketpair), SCMP_SYS(connect),
        SCMP_SYS(bind),         SCMP_SYS(listen),     SCMP_SYS(accept4),
        SCMP_SYS(execve),       SCMP_SYS(execveat),   SCMP_SYS(fork),
        SCMP_SYS(vfork),        SCMP_SYS(clone),      SCMP_SYS(clone3),
        SCMP_SYS(memfd_create),
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), calls[i], 0);
    seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
}

/* Calls allowed only with some arguments. */
static void allow_narrow(scmp_filter_ctx f)
{
    /* Memory, but never executable memory. */
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    /* abort() and raise() signal this process only. */
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    /* glibc's fstat() is fstatat(fd, "", AT_EMPTY_PATH); by name: refused. */
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                     SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
    seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 1,
                     SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0));
}

int worker_sandbox_enter(int memory_mb, int *memory_mb_applied, char *note,
                         size_t cap)
{
    set_limits(memory_mb, memory_mb_applied);
#ifdef WORKER_SANITIZED
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
#else
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
#endif
    if (!f) {
        snprintf(note, cap, "seccomp_init failed");
        return 0;
    }
    allow_plain(f);
    refuse_gently(f);
    allow_narrow(f);
#ifdef WORKER_SANITIZED
    /* UBSan's vptr check probes memory by writing it into a pipe. */
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(pipe2), 0);
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(pipe), 0);
#endif
    int rc = seccomp_load(f);
    seccomp_release(f);
    if (rc) {
        snprintf(note, cap, "seccomp_load: %s", strerror(-rc));
        return 0;
    }
    note[0] = '\0';
    return 1;
}
