/*
 * posix_handles.c - the handle table: all of a socket's lifetime on POSIX.
 *
 * Handles. A ps_socket is never an fd. Its bits 0-1 are zero (Winsock handles
 * are multiples of 4), bits 2-23 hold the slot index + 1 and bits 24-55 the
 * slot's generation (never 0). Every value below 2^24, such as an fd number, 0
 * or a small forged value, is thus never valid, and a closed handle is stale
 * for good: closing bumps the generation, so the value cannot reach the slot's
 * next socket, nor an fd that the process has since reused.
 *
 * A slot is in one of three states, all guarded by table_lock:
 *   free     fd -1, refs 0, on the free list
 *   open     fd >= 0, closing 0, refs >= 1: one for the handle, one per call
 *            in progress
 *   closing  fd >= 0, closing 1, refs >= 1: the handle is gone (its
 *            generation bumped) and calls are still running on the fd
 *
 * The contract:
 *   - ps_acquire takes a reference on an open slot for one call; ps_release
 *     drops it. A call reads sl->fd without the lock: it cannot change while a
 *     reference is held, because the fd is closed only when the last one drops
 *     (outside the lock, since close may linger). So no call ever sees its fd
 *     closed, or reused, under it.
 *   - ps_close_handle (closesocket, and the final WSACleanup for every open
 *     socket) moves open -> closing and drops the handle's reference. If other
 *     calls hold references, it first wakes them (ps_wake_blocked, in
 *     posix_wait.c) while holding a reference of its own; they notice the
 *     closing mark and return WSAEINTR. When no other call is in progress the
 *     wake-up costs nothing.
 *   - closing is written under the lock and read without it, by the calls
 *     that were woken, with atomic loads.
 *
 * fork. The child is a copy of one thread: the calls that other threads had in
 * progress do not exist there, but their references were copied. The child
 * handler drops them, finishes the closes that were waiting for them (closing
 * the child's copy of the fd only) and marks every socket F_INHERITED: its open
 * file description is shared with the parent, so the child never shuts it
 * down to wake a call, nor changes its flags or options (posix.c and
 * posix_wait.c look at F_INHERITED). Closing, aborting or cleaning up in the
 * child therefore closes the child's copies and leaves the parent's sockets,
 * and the calls blocked on them, as they were.
 */
#include "posix_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_SHIFT 2
#define SLOT_BITS 22
#define GEN_SHIFT 24
#define CHUNK_SLOTS 1024
#define MAX_CHUNKS 4096 /* 4M slots, under the 2^22 - 1 the layout allows */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *chunks[MAX_CHUNKS];
static int slot_count;     /* slots allocated so far */
static int free_head = -1;
static int startup_count;  /* guarded by table_lock */
static atomic_int started; /* startup_count > 0, read without the lock */
static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

int ps_started(void)
{
    return atomic_load_explicit(&started, memory_order_acquire);
}

static struct slot *slot_at(int index)
{
    return &chunks[index / CHUNK_SLOTS][index % CHUNK_SLOTS];
}

static ps_socket handle_of(int index, uint32_t gen)
{
    return ((ps_socket)gen << GEN_SHIFT) | ((ps_socket)(index + 1) << SLOT_SHIFT);
}

/* The open slot of a handle, or NULL. Caller holds table_lock. */
static struct slot *lookup_locked(ps_socket s)
{
    uint64_t v = (uint64_t)s;
    uint64_t raw_index, gen;
    struct slot *sl;

    if ((v & ((1u << SLOT_SHIFT) - 1)) != 0 || (v >> (GEN_SHIFT + 32)) != 0)
        return NULL;
    raw_index = (v >> SLOT_SHIFT) & ((1u << SLOT_BITS) - 1);
    gen = v >> GEN_SHIFT;
    if (raw_index == 0 || gen == 0 || raw_index > (uint64_t)slot_count)
        return NULL;
    sl = slot_at((int)raw_index - 1);
    if (sl->gen != gen || sl->closing || sl->fd < 0)
        return NULL;
    return sl;
}

/* ps_handle_status (portsock.h): ps_acquire's two checks, without taking a
   reference or touching the last error. */
static int handle_status(ps_socket s)
{
    int open;
    if (!ps_started())
        return PS_WSANOTINITIALISED;
    pthread_mutex_lock(&table_lock);
    open = lookup_locked(s) != NULL;
    pthread_mutex_unlock(&table_lock);
    return open ? 0 : PS_WSAENOTSOCK;
}

int ps_handle_status(ps_socket s) KEEP_ERRNO(int, handle_status(s))

struct slot *ps_acquire(ps_socket s)
{
    struct slot *sl;
    if (!ps_started()) {
        ps_thread_last_error = PS_WSANOTINITIALISED;
        return NULL;
    }
    pthread_mutex_lock(&table_lock);
    sl = lookup_locked(s);
    if (sl)
        sl->refs++;
    pthread_mutex_unlock(&table_lock);
    if (!sl)
        ps_thread_last_error = PS_WSAENOTSOCK;
    return sl;
}

/* Drops a reference; returns the fd to close (outside the lock) when it was
   the last one, else -1. Caller holds table_lock. */
static int release_locked(struct slot *sl)
{
    int fd;
    if (--sl->refs > 0)
        return -1;
    fd = sl->fd;
    sl->fd = -1;
    __atomic_store_n(&sl->closing, 0, __ATOMIC_RELAXED);
    sl->next_free = free_head;
    free_head = sl->index;
    return fd;
}

void ps_release(struct slot *sl)
{
    int fd;
    pthread_mutex_lock(&table_lock);
    fd = release_locked(sl);
    pthread_mutex_unlock(&table_lock);
    if (fd >= 0)
        close(fd);
}

/* open -> closing. Returns 1 when other calls hold references: the caller
   must then wake them and drop the reference this keeps for it. Caller holds
   table_lock. */
static int mark_closing_locked(struct slot *sl, int *fd_to_close)
{
    __atomic_store_n(&sl->closing, 1, __ATOMIC_SEQ_CST);   /* see connect_slot */
    if (++sl->gen == 0)
        sl->gen = 1;
    if (sl->refs > 1 && !has_flag(sl, F_INHERITED)) {
        /* The handle's reference becomes the waker's. */
        *fd_to_close = -1;
        return 1;
    }
    *fd_to_close = release_locked(sl);
    return 0;
}

int ps_close_handle(ps_socket s)
{
    struct slot *sl;
    int fd, busy;
    pthread_mutex_lock(&table_lock);
    sl = lookup_locked(s);
    if (!sl) {
        pthread_mutex_unlock(&table_lock);
        return PS_WSAENOTSOCK;
    }
    busy = mark_closing_locked(sl, &fd);
    pthread_mutex_unlock(&table_lock);
    if (busy) {
        ps_wake_blocked(sl);
        ps_release(sl);
    } else if (fd >= 0)
        close(fd);
    return 0;
}

/* Puts a new fd in a free slot. The last two failures are races with another
   thread, checked here under the table lock because the caller's own checks
   came before the fd existed:
   - the final WSACleanup ran between the caller's startup check and now: the
     cleanup closed every socket it saw, and a socket registered after it
     would outlive it, unreachable (closesocket says WSANOTINITIALISED) and
     leaked until some later cleanup;
   - closesocket (or the final cleanup) closed the listening socket while
     accept was taking a connection off its queue: the accept was cancelled
     (WSAEINTR, as for a blocked accept), and the connection goes the way of
     the rest of the closed listener's queue. */
ps_socket ps_register(int fd, int type, int flags, unsigned rcvtimeo, unsigned sndtimeo,
                      const struct slot *parent)
{
    int index;
    struct slot *sl;
    ps_socket h;

    pthread_mutex_lock(&table_lock);
    if ((parent != NULL && parent->closing) || startup_count == 0) {
        pthread_mutex_unlock(&table_lock);
        ps_thread_last_error =
            parent != NULL && parent->closing ? PS_WSAEINTR : PS_WSANOTINITIALISED;
        return PS_INVALID_SOCKET;
    }
    if (free_head >= 0) {
        index = free_head;
        free_head = slot_at(index)->next_free;
    } else {
        if (slot_count == MAX_CHUNKS * CHUNK_SLOTS) {
            pthread_mutex_unlock(&table_lock);
            ps_thread_last_error = PS_WSAEMFILE;
            return PS_INVALID_SOCKET;
        }
        if (chunks[slot_count / CHUNK_SLOTS] == NULL) {
            struct slot *chunk = calloc(CHUNK_SLOTS, sizeof *chunk);
            if (chunk == NULL) {
                pthread_mutex_unlock(&table_lock);
                ps_thread_last_error = PS_WSAENOBUFS;
                return PS_INVALID_SOCKET;
            }
            chunks[slot_count / CHUNK_SLOTS] = chunk;
        }
        index = slot_count++;
        slot_at(index)->gen = 1;
        slot_at(index)->index = index;
    }
    sl = slot_at(index);
    sl->refs = 1;
    __atomic_store_n(&sl->closing, 0, __ATOMIC_RELAXED);
    sl->fd = fd;
    sl->type = type;
    atomic_store(&sl->flags, flags);
    atomic_store(&sl->so_error, 0);
    atomic_store(&sl->rcvtimeo, rcvtimeo);
    atomic_store(&sl->sndtimeo, sndtimeo);
    atomic_store(&sl->in_connect, 0);
    atomic_store(&sl->kept_linger, 0);
    h = handle_of(index, sl->gen);
    pthread_mutex_unlock(&table_lock);
    return h;
}

/* ------------------------------------------------------------------------ */
/* fork                                                                      */

static void before_fork(void) { pthread_mutex_lock(&table_lock); }
static void after_fork_in_parent(void) { pthread_mutex_unlock(&table_lock); }

static void after_fork_in_child(void)
{
    int i;
    for (i = 0; i < slot_count; i++) {
        struct slot *sl = slot_at(i);
        if (sl->fd < 0)
            continue;
        if (sl->closing) {
            /* A close in the parent was waiting for calls that the child does
               not have: finish it, for the child's copy of the fd. */
            sl->refs = 1;
            close(release_locked(sl));
            continue;
        }
        sl->refs = 1;
        atomic_store(&sl->in_connect, 0);
        set_flag(sl, F_INHERITED);
    }
    pthread_mutex_unlock(&table_lock);
}

static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

/* ------------------------------------------------------------------------ */
/* Startup and cleanup                                                       */

void ps_count_startup(void)
{
    pthread_once(&fork_handlers_once, install_fork_handlers);
    pthread_mutex_lock(&table_lock);
    startup_count++;
    atomic_store_explicit(&started, 1, memory_order_release);
    pthread_mutex_unlock(&table_lock);
}

/* Marks every open socket closing. Returns how many have calls to wake, in
   busy (each with a reference kept for the waker); fds gets the fds to close.
   Caller holds table_lock. */
static int close_all_locked(struct slot **busy, int *fds, int *nfds)
{
    int i, n = 0, nf = 0;
    for (i = 0; i < slot_count; i++) {
        struct slot *sl = slot_at(i);
        int fd;
        if (sl->fd < 0 || sl->closing)
            continue;
        if (mark_closing_locked(sl, &fd))
            busy[n++] = sl;
        else if (fd >= 0)
            fds[nf++] = fd;
    }
    *nfds = nf;
    return n;
}

int ps_count_cleanup(void)
{
    struct slot **busy = NULL;
    int *fds = NULL, n = 0, nf = 0, i;

    pthread_mutex_lock(&table_lock);
    if (startup_count == 0) {
        pthread_mutex_unlock(&table_lock);
        return PS_WSANOTINITIALISED;
    }
    if (--startup_count == 0) {
        size_t count = (size_t)slot_count + 1;
        atomic_store_explicit(&started, 0, memory_order_release);
        /* The final cleanup closes every socket still open, as closesocket
           would: blocked calls in other threads wake with WSAEINTR. */
        busy = malloc(sizeof *busy * count);
        fds = malloc(sizeof *fds * count);
        if (busy && fds)
            n = close_all_locked(busy, fds, &nf);
        else {
            /* Out of memory: close one socket at a time under the lock; a
               busy one is woken there too (shutdown does not block). */
            for (i = 0; i < slot_count; i++) {
                struct slot *sl = slot_at(i);
                int fd;
                if (sl->fd < 0 || sl->closing)
                    continue;
                if (mark_closing_locked(sl, &fd)) {
                    ps_wake_blocked(sl);
                    fd = release_locked(sl);
                }
                if (fd >= 0)
                    close(fd);
            }
        }
    }
    pthread_mutex_unlock(&table_lock);
    for (i = 0; i < n; i++) {
        ps_wake_blocked(busy[i]);
        ps_release(busy[i]);
    }
    for (i = 0; i < nf; i++)
        close(fds[i]);
    free(busy);
    free(fds);
    return 0;
}
