/*
 * posix_winapi.c - the Windows calls of the shim's <windows.h> on POSIX: Sleep,
 * GetTickCount, SecureZeroMemory, FormatMessageA, LocalAlloc/LocalFree, and
 * threads (CreateThread, WaitForSingleObject, WaitForMultipleObjects,
 * GetExitCodeThread, CloseHandle, GetCurrentThreadId). portsock_winapi.h has
 * each contract.
 *
 * Thread handles. A HANDLE is a slot number and the slot's generation, shifted
 * so that it is a multiple of 4 as Windows' are; it is never dereferenced, so
 * a stale or made-up one is found out by looking it up. Slots are allocated
 * once and never freed (the table keeps them reachable), so a waiter may keep
 * its slot's address across a wait even if another thread closes the handle
 * meanwhile: a changed generation tells it the thread has ended. One mutex
 * guards the table, and one condition variable is broadcast whenever a
 * thread ends; waiters look again at what they wait for.
 *
 * A thread and its handle end independently. The last of the two frees the
 * slot: CloseHandle after the end joins the thread; CloseHandle before
 * detaches it, and the thread frees the slot as it ends.
 */
#include "posix_internal.h"
#include "portsock_winapi.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- time -------------------------------------------------------------------- */

static void sleep_ms(uint32_t ms)
{
    int64_t deadline = ps_now_ms() + ms;
    int64_t left = ms;
    /* A signal (EINTR) does not end Windows' Sleep: sleep what is left. */
    while (left > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        nanosleep(&ts, NULL);
        left = deadline - ps_now_ms();
    }
}

static int sleep_call(uint32_t ms)
{
    if (ms == 0)
        sched_yield();
    else if (ms == PS_INFINITE)
        for (;;)
            pause();
    else
        sleep_ms(ms);
    return 0;
}

void ps_win_sleep(uint32_t ms)
{
    int saved_errno = errno;
    sleep_call(ms);
    errno = saved_errno;
}

static uint64_t tick_count64(void) { return (uint64_t)ps_now_ms(); }

uint32_t ps_win_get_tick_count(void) KEEP_ERRNO(uint32_t, (uint32_t)tick_count64())
uint64_t ps_win_get_tick_count64(void) KEEP_ERRNO(uint64_t, tick_count64())

/* ---- memory ------------------------------------------------------------------ */

void *ps_win_secure_zero_memory(void *dst, size_t len)
{
    volatile unsigned char *p = (volatile unsigned char *)dst;
    size_t i;
    for (i = 0; i < len; i++)
        p[i] = 0;
    /* The stores are volatile, and the buffer escapes to the assembler here:
       neither the compiler nor LTO may drop them as dead. */
    __asm__ __volatile__("" : : "r"(dst) : "memory");
    return dst;
}

static void *local_alloc(uint32_t flags, size_t bytes)
{
    void *mem;
    if ((flags & ~PS_LMEM_ZEROINIT) != PS_LMEM_FIXED) {
        /* LMEM_MOVEABLE and its lock calls: not provided. */
        ps_set_last_error(PS_ERROR_INVALID_PARAMETER);
        return NULL;
    }
    mem = (flags & PS_LMEM_ZEROINIT) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
    if (mem == NULL)
        ps_set_last_error(PS_ERROR_NOT_ENOUGH_MEMORY);
    return mem;
}

void *ps_win_local_alloc(uint32_t flags, size_t bytes) KEEP_ERRNO(void *, local_alloc(flags, bytes))

static void *local_free(void *mem)
{
    free(mem);
    return NULL;
}

void *ps_win_local_free(void *mem) KEEP_ERRNO(void *, local_free(mem))

/* ---- FormatMessageA ------------------------------------------------------------ */

/* Windows' messages for the Win32 codes (not Winsock's: csrc/errmap.c has
   those) that the calls of this file set, and ERROR_SUCCESS, which programs
   format after a call that did not fail. */
static const struct { uint32_t code; const char *text; } win32_messages[] = {
    {PS_ERROR_SUCCESS, "The operation completed successfully."},
    {PS_ERROR_INVALID_HANDLE, "The handle is invalid."},
    {PS_ERROR_INSUFFICIENT_BUFFER, "The data area passed to a system call is too small."},
    {PS_ERROR_MR_MID_NOT_FOUND,
     "The system cannot find message text for message number 0x%1 in the message file for %2."},
    {PS_ERROR_NOACCESS, "Invalid access to memory location."},
    {PS_ERROR_MUI_FILE_NOT_FOUND, "The resource loader failed to find MUI file."},
};

static const char *system_message(uint32_t code)
{
    size_t i;
    const char *text = code <= INT_MAX ? ps_wsa_message((int)code) : NULL;
    if (text != NULL)
        return text;
    for (i = 0; i < sizeof win32_messages / sizeof win32_messages[0]; i++)
        if (win32_messages[i].code == code)
            return win32_messages[i].text;
    return NULL;
}

/* English is the only language of the table; LANG_NEUTRAL (with any
   sublanguage: the user's, the system's default) finds it too. */
static int language_available(uint32_t language_id)
{
    uint32_t primary = language_id & 0x3ff;
    return primary == 0x00 || primary == 0x09;
}

static uint32_t winapi_fail(int code)
{
    ps_set_last_error(code);
    return 0;
}

static uint32_t format_message(uint32_t flags, const void *source, uint32_t message_id,
                               uint32_t language_id, char *buffer, uint32_t size)
{
    const char *text;
    size_t len;
    /* A message table's line ends with "\r\n"; with a maximum line width the
       line break is written as a space (lines are not re-wrapped here). */
    const char *ending = (flags & PS_FORMAT_MESSAGE_MAX_WIDTH_MASK) ? " " : "\r\n";
    char **allocated = (flags & PS_FORMAT_MESSAGE_ALLOCATE_BUFFER) ? (char **)(void *)buffer : NULL;

    if (buffer == NULL)
        return winapi_fail(PS_ERROR_INVALID_PARAMETER);
    if (allocated != NULL)
        *allocated = NULL;   /* as Windows leaves it on failure */
    if ((flags & PS_FORMAT_MESSAGE_FROM_STRING) || !(flags & PS_FORMAT_MESSAGE_FROM_SYSTEM) ||
        ((flags & PS_FORMAT_MESSAGE_FROM_HMODULE) && source != NULL))
        return winapi_fail(PS_ERROR_INVALID_PARAMETER);   /* only the system's messages are here */
    if (!language_available(language_id))
        return winapi_fail(PS_ERROR_MUI_FILE_NOT_FOUND);
    text = system_message(message_id);
    if (text == NULL)
        return winapi_fail(PS_ERROR_MR_MID_NOT_FOUND);
    if (!(flags & PS_FORMAT_MESSAGE_IGNORE_INSERTS) && strchr(text, '%') != NULL)
        return winapi_fail(PS_ERROR_INVALID_PARAMETER);   /* inserts to fill, no arguments read */
    len = strlen(text) + strlen(ending);
    if (allocated != NULL) {
        size_t bytes = len + 1 > size ? len + 1 : size;
        char *out = (char *)malloc(bytes);
        if (out == NULL)
            return winapi_fail(PS_ERROR_NOT_ENOUGH_MEMORY);
        memcpy(out, text, len - strlen(ending));
        strcpy(out + len - strlen(ending), ending);
        *allocated = out;
        return (uint32_t)len;
    }
    if (size <= len)
        return winapi_fail(PS_ERROR_INSUFFICIENT_BUFFER);
    memcpy(buffer, text, len - strlen(ending));
    strcpy(buffer + len - strlen(ending), ending);
    return (uint32_t)len;
}

uint32_t ps_win_format_message_a(uint32_t flags, const void *source, uint32_t message_id,
                                 uint32_t language_id, char *buffer, uint32_t size,
                                 va_list *arguments)
{
    (void)arguments;
    KEEP_ERRNO(uint32_t, format_message(flags, source, message_id, language_id, buffer, size))
}

uint32_t ps_format_message(uint32_t flags, uint32_t message_id, uint32_t language_id, char *buffer,
                           uint32_t size)
    KEEP_ERRNO(uint32_t, (flags & PS_FORMAT_MESSAGE_ALLOCATE_BUFFER)
                             ? winapi_fail(PS_ERROR_INVALID_PARAMETER)
                             : format_message(flags, NULL, message_id, language_id, buffer, size))

/* ---- thread handles ------------------------------------------------------------ */

#define INDEX_BITS 16
#define MAX_SLOTS ((1u << INDEX_BITS) - 1)
#define GEN_MASK ((uint32_t)(UINTPTR_MAX >> (INDEX_BITS + 2)))
#define PSEUDO_PROCESS ((void *)~(uintptr_t)0)   /* INVALID_HANDLE_VALUE */

struct thread_slot {
    uint32_t gen;          /* of the current use; bumped when freed */
    int in_use;
    int handle_open;
    int ended;
    pthread_t thread;
    uint32_t exit_code;
    uint32_t thread_id;
    ps_win_thread_start start;
    void *arg;
    int next_free;
    unsigned index;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thread_ended;
static pthread_once_t thread_ended_once = PTHREAD_ONCE_INIT;
/* Whether thread_ended measures its timeouts on CLOCK_MONOTONIC; without
   that (no clock selection), on the wall clock, in slices. */
static int ended_cond_monotonic;
static struct thread_slot **slots;
static unsigned slot_count, slot_capacity;
static int first_free = -1;

static _Thread_local uint32_t current_thread_id;
static atomic_uint next_thread_id;

static void init_thread_ended(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
    ended_cond_monotonic = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
#endif
    pthread_cond_init(&thread_ended, &attr);
    pthread_condattr_destroy(&attr);
}

static uint32_t new_thread_id(void)
{
    uint32_t id;
    do
        id = atomic_fetch_add(&next_thread_id, 4) + 4;
    while (id == 0);
    return id;
}

static void *handle_of(const struct thread_slot *sl)
{
    return (void *)(((uintptr_t)sl->gen << INDEX_BITS | (uintptr_t)(sl->index + 1)) << 2);
}

/* The slot a handle names, with table_lock held; NULL if none. */
static struct thread_slot *lookup(void *handle)
{
    uintptr_t value = (uintptr_t)handle;
    uintptr_t index = (value >> 2) & MAX_SLOTS;
    struct thread_slot *sl;
    if ((value & 3) != 0 || index == 0 || index > slot_count)
        return NULL;
    sl = slots[index - 1];
    if (!sl->in_use || !sl->handle_open || sl->gen != (uint32_t)((value >> (INDEX_BITS + 2)) & GEN_MASK))
        return NULL;
    return sl;
}

static struct thread_slot *new_slot(void)
{
    struct thread_slot *sl;
    if (first_free >= 0) {
        sl = slots[first_free];
        first_free = sl->next_free;
    } else {
        if (slot_count == MAX_SLOTS)
            return NULL;
        if (slot_count == slot_capacity) {
            unsigned capacity = slot_capacity ? slot_capacity * 2 : 16;
            struct thread_slot **grown =
                (struct thread_slot **)realloc(slots, capacity * sizeof *slots);
            if (grown == NULL)
                return NULL;
            slots = grown;
            slot_capacity = capacity;
        }
        sl = (struct thread_slot *)calloc(1, sizeof *sl);
        if (sl == NULL)
            return NULL;
        sl->index = slot_count;
        sl->gen = 1;
        slots[slot_count++] = sl;
    }
    sl->in_use = 1;
    sl->handle_open = 1;
    sl->ended = 0;
    sl->exit_code = PS_STILL_ACTIVE;
    return sl;
}

static void free_slot(struct thread_slot *sl)
{
    sl->in_use = 0;
    sl->handle_open = 0;
    sl->gen = (sl->gen + 1) & GEN_MASK;
    if (sl->gen == 0)
        sl->gen = 1;
    sl->next_free = first_free;
    first_free = (int)sl->index;
}

static void *thread_main(void *p)
{
    struct thread_slot *sl = (struct thread_slot *)p;
    uint32_t code;
    current_thread_id = sl->thread_id;
    code = sl->start(sl->arg);
    pthread_mutex_lock(&table_lock);
    sl->exit_code = code;
    sl->ended = 1;
    if (!sl->handle_open)
        free_slot(sl);     /* closed while running: detached, nobody joins */
    pthread_cond_broadcast(&thread_ended);
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

static void *create_thread(size_t stack_size, ps_win_thread_start start, void *arg, uint32_t flags,
                           uint32_t *thread_id)
{
    pthread_attr_t attr;
    struct thread_slot *sl;
    void *handle;
    int rc;

    if (start == NULL || (flags & ~PS_STACK_SIZE_PARAM_IS_A_RESERVATION) != 0) {
        ps_set_last_error(PS_ERROR_INVALID_PARAMETER);
        return NULL;
    }
    pthread_once(&thread_ended_once, init_thread_ended);
    pthread_attr_init(&attr);
    if (stack_size != 0) {
        /* Windows rounds a small size up; so does this, to the least POSIX takes. */
        long page = sysconf(_SC_PAGESIZE);
        size_t least = PTHREAD_STACK_MIN;
        if (stack_size < least)
            stack_size = least;
        if (page > 0)
            stack_size = (stack_size + (size_t)page - 1) / (size_t)page * (size_t)page;
        pthread_attr_setstacksize(&attr, stack_size);
    }
    pthread_mutex_lock(&table_lock);
    sl = new_slot();
    if (sl == NULL) {
        pthread_mutex_unlock(&table_lock);
        pthread_attr_destroy(&attr);
        ps_set_last_error(PS_ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    sl->start = start;
    sl->arg = arg;
    sl->thread_id = new_thread_id();
    rc = pthread_create(&sl->thread, &attr, thread_main, sl);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free_slot(sl);
        pthread_mutex_unlock(&table_lock);
        ps_set_last_error(PS_ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (thread_id != NULL)
        *thread_id = sl->thread_id;
    handle = handle_of(sl);
    pthread_mutex_unlock(&table_lock);
    return handle;
}

void *ps_win_create_thread(void *attributes, size_t stack_size, ps_win_thread_start start,
                           void *arg, uint32_t flags, uint32_t *thread_id)
{
    (void)attributes;   /* security attributes: nothing to say on POSIX */
    KEEP_ERRNO(void *, create_thread(stack_size, start, arg, flags, thread_id))
}

/* One wait on thread_ended until the deadline (PS_NO_DEADLINE: none), with
   table_lock held. */
static void wait_ended(deadline_t deadline)
{
    struct timespec ts;
    int64_t at;
    if (deadline == PS_NO_DEADLINE) {
        pthread_cond_wait(&thread_ended, &table_lock);
        return;
    }
    if (ended_cond_monotonic) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        at = deadline - ps_now_ms();
    } else {
        /* The wall clock may jump: wait at most a slice of it, then look at
           the monotonic deadline again. */
        at = deadline - ps_now_ms();
        if (at > WAKE_SLICE_MS)
            at = WAKE_SLICE_MS;
        clock_gettime(CLOCK_REALTIME, &ts);
    }
    if (at < 0)
        at = 0;
    ts.tv_sec += (time_t)(at / 1000);
    ts.tv_nsec += (long)(at % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&thread_ended, &table_lock, &ts);
}

struct waited {
    struct thread_slot *slot;   /* NULL: the process pseudo-handle, never ends */
    uint32_t gen;
};

static int has_ended(const struct waited *w)
{
    return w->slot != NULL && (w->slot->ended || w->slot->gen != w->gen);
}

static uint32_t wait_for(uint32_t count, void *const *handles, int wait_all, uint32_t ms)
{
    struct waited waited[PS_MAXIMUM_WAIT_OBJECTS];
    deadline_t deadline = ms == PS_INFINITE ? PS_NO_DEADLINE : ps_now_ms() + ms;
    uint32_t i, result = PS_WAIT_TIMEOUT;

    if (count == 0 || count > PS_MAXIMUM_WAIT_OBJECTS || handles == NULL) {
        ps_set_last_error(PS_ERROR_INVALID_PARAMETER);
        return PS_WAIT_FAILED;
    }
    pthread_once(&thread_ended_once, init_thread_ended);
    pthread_mutex_lock(&table_lock);
    for (i = 0; i < count; i++) {
        if (handles[i] == PSEUDO_PROCESS) {
            waited[i].slot = NULL;
            continue;
        }
        waited[i].slot = lookup(handles[i]);
        if (waited[i].slot == NULL) {
            pthread_mutex_unlock(&table_lock);
            ps_set_last_error(PS_ERROR_INVALID_HANDLE);
            return PS_WAIT_FAILED;
        }
        waited[i].gen = waited[i].slot->gen;
    }
    for (;;) {
        uint32_t ended = 0, first = count;
        for (i = 0; i < count; i++)
            if (has_ended(&waited[i])) {
                ended++;
                if (first == count)
                    first = i;
            }
        if (wait_all ? ended == count : ended > 0) {
            result = PS_WAIT_OBJECT_0 + (wait_all ? 0 : first);
            break;
        }
        if (deadline != PS_NO_DEADLINE && ps_now_ms() >= deadline)
            break;
        wait_ended(deadline);
    }
    pthread_mutex_unlock(&table_lock);
    return result;
}

uint32_t ps_win_wait_for_single_object(void *handle, uint32_t ms)
    KEEP_ERRNO(uint32_t, wait_for(1, &handle, 0, ms))

uint32_t ps_win_wait_for_multiple_objects(uint32_t count, void *const *handles, int wait_all,
                                          uint32_t ms)
    KEEP_ERRNO(uint32_t, wait_for(count, handles, wait_all, ms))

/* The open handle's slot, with table_lock held; NULL with the lock released
   and ERROR_INVALID_HANDLE set. */
static struct thread_slot *lock_open_handle(void *handle)
{
    struct thread_slot *sl;
    pthread_mutex_lock(&table_lock);
    sl = lookup(handle);
    if (sl == NULL) {
        pthread_mutex_unlock(&table_lock);
        ps_set_last_error(PS_ERROR_INVALID_HANDLE);
    }
    return sl;
}

static int get_exit_code(void *handle, uint32_t *exit_code)
{
    struct thread_slot *sl = lock_open_handle(handle);
    if (sl == NULL)
        return 0;
    if (exit_code == NULL) {
        pthread_mutex_unlock(&table_lock);
        ps_set_last_error(PS_ERROR_NOACCESS);
        return 0;
    }
    *exit_code = sl->ended ? sl->exit_code : PS_STILL_ACTIVE;
    pthread_mutex_unlock(&table_lock);
    return 1;
}

int ps_win_get_exit_code_thread(void *handle, uint32_t *exit_code)
    KEEP_ERRNO(int, get_exit_code(handle, exit_code))

static int close_handle(void *handle)
{
    struct thread_slot *sl;
    pthread_t thread;
    if (handle == PSEUDO_PROCESS)
        return 1;
    sl = lock_open_handle(handle);
    if (sl == NULL)
        return 0;
    thread = sl->thread;
    if (sl->ended) {
        /* The thread has left its start routine: join what remains of it. */
        free_slot(sl);
        pthread_mutex_unlock(&table_lock);
        pthread_join(thread, NULL);
        return 1;
    }
    sl->handle_open = 0;
    pthread_detach(thread);
    pthread_mutex_unlock(&table_lock);
    return 1;
}

int ps_win_close_handle(void *handle) KEEP_ERRNO(int, close_handle(handle))

uint32_t ps_win_get_current_thread_id(void)
{
    if (current_thread_id == 0)
        current_thread_id = new_thread_id();
    return current_thread_id;
}
