/*
 * errmap.c - the one table between errno, EAI_* and Winsock error codes.
 *
 * Symbolic errno names only, so the table holds on every POSIX system (and the
 * reverse lookup gives the right errno values when compiled for Windows).
 */
#include "platform.h"

#include <stddef.h>

struct wsa_row {
    int err;            /* the errno with the same meaning, or 0 */
    const char *err_name; /* its symbol, "ECONNRESET" */
    int wsa;            /* the Winsock code */
    const char *name;
    const char *message;
};

/* An errno with its symbol: bindings take the value by name from their own
   errno table (CPython on Windows numbers ECONNRESET and its kin as the WSA
   codes, not as the C library's errno.h does). */
#define E(err) err, #err

/* The first row of a code gives its name, message and reverse errno; later rows
   only add errno values that map to it. */
static const struct wsa_row wsa_table[] = {
    {0, NULL, PS_WSA_INVALID_HANDLE, "WSA_INVALID_HANDLE", "The handle is invalid."},
    {E(ENOMEM), PS_WSA_NOT_ENOUGH_MEMORY, "WSA_NOT_ENOUGH_MEMORY",
     "Not enough memory resources are available to process this command."},
    {0, NULL, PS_WSA_INVALID_PARAMETER, "WSA_INVALID_PARAMETER", "The parameter is incorrect."},
    /* Overlapped I/O's codes, which programs test (portsock has no overlapped
       I/O, and never gives them). */
    {0, NULL, PS_WSA_OPERATION_ABORTED, "WSA_OPERATION_ABORTED",
     "The I/O operation has been aborted because of either a thread exit or an application request."},
    {0, NULL, PS_WSA_IO_INCOMPLETE, "WSA_IO_INCOMPLETE", "Overlapped I/O event is not in a signaled state."},
    {0, NULL, PS_WSA_IO_PENDING, "WSA_IO_PENDING", "Overlapped I/O operation is in progress."},
    {E(EINTR), PS_WSAEINTR, "WSAEINTR",
     "A blocking operation was interrupted by a call to WSACancelBlockingCall."},
    {E(EBADF), PS_WSAEBADF, "WSAEBADF", "The file handle supplied is not valid."},
    {E(EACCES), PS_WSAEACCES, "WSAEACCES",
     "An attempt was made to access a socket in a way forbidden by its access permissions."},
    {E(EPERM), PS_WSAEACCES, NULL, NULL},
    {E(EFAULT), PS_WSAEFAULT, "WSAEFAULT",
     "The system detected an invalid pointer address in attempting to use a pointer argument in a call."},
    {E(EINVAL), PS_WSAEINVAL, "WSAEINVAL", "An invalid argument was supplied."},
    {E(EMFILE), PS_WSAEMFILE, "WSAEMFILE", "Too many open sockets."},
    {E(ENFILE), PS_WSAEMFILE, NULL, NULL},
    {E(EWOULDBLOCK), PS_WSAEWOULDBLOCK, "WSAEWOULDBLOCK",
     "A non-blocking socket operation could not be completed immediately."},
    {E(EAGAIN), PS_WSAEWOULDBLOCK, NULL, NULL},
    {E(EINPROGRESS), PS_WSAEWOULDBLOCK, NULL, NULL},
    {0, NULL, PS_WSAEINPROGRESS, "WSAEINPROGRESS", "A blocking operation is currently executing."},
    {E(EALREADY), PS_WSAEALREADY, "WSAEALREADY",
     "An operation was attempted on a non-blocking socket that already had an operation in progress."},
    {E(ENOTSOCK), PS_WSAENOTSOCK, "WSAENOTSOCK",
     "An operation was attempted on something that is not a socket."},
    {E(EDESTADDRREQ), PS_WSAEDESTADDRREQ, "WSAEDESTADDRREQ",
     "A required address was omitted from an operation on a socket."},
    {E(EMSGSIZE), PS_WSAEMSGSIZE, "WSAEMSGSIZE",
     "A message sent on a datagram socket was larger than the internal message buffer or some other "
     "network limit, or the buffer used to receive a datagram into was smaller than the datagram itself."},
    {E(EPROTOTYPE), PS_WSAEPROTOTYPE, "WSAEPROTOTYPE",
     "A protocol was specified in the socket function call that does not support the semantics of the "
     "socket type requested."},
    {E(ENOPROTOOPT), PS_WSAENOPROTOOPT, "WSAENOPROTOOPT",
     "An unknown, invalid, or unsupported option or level was specified in a getsockopt or setsockopt call."},
    {E(EPROTONOSUPPORT), PS_WSAEPROTONOSUPPORT, "WSAEPROTONOSUPPORT",
     "The requested protocol has not been configured into the system, or no implementation for it exists."},
#ifdef ESOCKTNOSUPPORT
    {E(ESOCKTNOSUPPORT), PS_WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT",
     "The support for the specified socket type does not exist in this address family."},
#else
    {0, NULL, PS_WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT",
     "The support for the specified socket type does not exist in this address family."},
#endif
    {E(EOPNOTSUPP), PS_WSAEOPNOTSUPP, "WSAEOPNOTSUPP",
     "The attempted operation is not supported for the type of object referenced."},
#ifdef ENOTSUP
    {E(ENOTSUP), PS_WSAEOPNOTSUPP, NULL, NULL},
#endif
#ifdef EPFNOSUPPORT
    {E(EPFNOSUPPORT), PS_WSAEPFNOSUPPORT, "WSAEPFNOSUPPORT",
     "The protocol family has not been configured into the system or no implementation for it exists."},
#else
    {0, NULL, PS_WSAEPFNOSUPPORT, "WSAEPFNOSUPPORT",
     "The protocol family has not been configured into the system or no implementation for it exists."},
#endif
    {E(EAFNOSUPPORT), PS_WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT",
     "An address incompatible with the requested protocol was used."},
    {E(EADDRINUSE), PS_WSAEADDRINUSE, "WSAEADDRINUSE",
     "Only one usage of each socket address (protocol/network address/port) is normally permitted."},
    {E(EADDRNOTAVAIL), PS_WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL",
     "The requested address is not valid in its context."},
    {E(ENETDOWN), PS_WSAENETDOWN, "WSAENETDOWN", "A socket operation encountered a dead network."},
    {E(ENETUNREACH), PS_WSAENETUNREACH, "WSAENETUNREACH",
     "A socket operation was attempted to an unreachable network."},
    {E(ENETRESET), PS_WSAENETRESET, "WSAENETRESET",
     "The connection has been broken due to keep-alive activity detecting a failure while the operation "
     "was in progress."},
    {E(ECONNABORTED), PS_WSAECONNABORTED, "WSAECONNABORTED",
     "An established connection was aborted by the software in your host machine."},
    {E(ECONNRESET), PS_WSAECONNRESET, "WSAECONNRESET",
     "An existing connection was forcibly closed by the remote host."},
    {E(ENOBUFS), PS_WSAENOBUFS, "WSAENOBUFS",
     "An operation on a socket could not be performed because the system lacked sufficient buffer space "
     "or because a queue was full."},
    {E(EISCONN), PS_WSAEISCONN, "WSAEISCONN", "A connect request was made on an already connected socket."},
    {E(ENOTCONN), PS_WSAENOTCONN, "WSAENOTCONN",
     "A request to send or receive data was disallowed because the socket is not connected and (when "
     "sending on a datagram socket using a sendto call) no address was supplied."},
#ifdef ESHUTDOWN
    {E(ESHUTDOWN), PS_WSAESHUTDOWN, "WSAESHUTDOWN",
     "A request to send or receive data was disallowed because the socket had already been shut down in "
     "that direction with a previous shutdown call."},
#elif defined(_WIN32)
    /* The C runtime has no ESHUTDOWN (EPIPE is its errno for this), but a binding's errno
       table does: CPython on Windows numbers ESHUTDOWN as WSAESHUTDOWN itself, and its own
       sockets raise BrokenPipeError with errno 10058 there, not EPIPE's 32. */
    {EPIPE, "ESHUTDOWN", PS_WSAESHUTDOWN, "WSAESHUTDOWN",
     "A request to send or receive data was disallowed because the socket had already been shut down in "
     "that direction with a previous shutdown call."},
#else
    /* No ESHUTDOWN here: EPIPE is what this platform says for the same thing. */
    {E(EPIPE), PS_WSAESHUTDOWN, "WSAESHUTDOWN",
     "A request to send or receive data was disallowed because the socket had already been shut down in "
     "that direction with a previous shutdown call."},
#endif
#ifdef ETOOMANYREFS
    {E(ETOOMANYREFS), PS_WSAETOOMANYREFS, "WSAETOOMANYREFS", "Too many references to some kernel object."},
#else
    {0, NULL, PS_WSAETOOMANYREFS, "WSAETOOMANYREFS", "Too many references to some kernel object."},
#endif
    {E(ETIMEDOUT), PS_WSAETIMEDOUT, "WSAETIMEDOUT",
     "A connection attempt failed because the connected party did not properly respond after a period of "
     "time, or established connection failed because connected host has failed to respond."},
    {E(ECONNREFUSED), PS_WSAECONNREFUSED, "WSAECONNREFUSED",
     "No connection could be made because the target machine actively refused it."},
    {E(ELOOP), PS_WSAELOOP, "WSAELOOP", "Cannot translate name."},
    {E(ENAMETOOLONG), PS_WSAENAMETOOLONG, "WSAENAMETOOLONG", "Name component or name was too long."},
#ifdef EHOSTDOWN
    {E(EHOSTDOWN), PS_WSAEHOSTDOWN, "WSAEHOSTDOWN",
     "A socket operation failed because the destination host was down."},
#else
    {0, NULL, PS_WSAEHOSTDOWN, "WSAEHOSTDOWN",
     "A socket operation failed because the destination host was down."},
#endif
    {E(EHOSTUNREACH), PS_WSAEHOSTUNREACH, "WSAEHOSTUNREACH",
     "A socket operation was attempted to an unreachable host."},
    {E(ENOTEMPTY), PS_WSAENOTEMPTY, "WSAENOTEMPTY", "Cannot remove a directory that is not empty."},
#ifdef EUSERS
    {E(EUSERS), PS_WSAEUSERS, "WSAEUSERS", "Ran out of quota."},
#else
    {0, NULL, PS_WSAEUSERS, "WSAEUSERS", "Ran out of quota."},
#endif
#ifdef EDQUOT
    {E(EDQUOT), PS_WSAEDQUOT, "WSAEDQUOT", "Ran out of disk quota."},
#else
    {0, NULL, PS_WSAEDQUOT, "WSAEDQUOT", "Ran out of disk quota."},
#endif
#ifdef ESTALE
    {E(ESTALE), PS_WSAESTALE, "WSAESTALE", "File handle reference is no longer available."},
#else
    {0, NULL, PS_WSAESTALE, "WSAESTALE", "File handle reference is no longer available."},
#endif
#ifdef EREMOTE
    {E(EREMOTE), PS_WSAEREMOTE, "WSAEREMOTE", "Item is not available locally."},
#else
    {0, NULL, PS_WSAEREMOTE, "WSAEREMOTE", "Item is not available locally."},
#endif
    {0, NULL, PS_WSAEPROCLIM, "WSAEPROCLIM", "Too many processes."},
    {0, NULL, PS_WSASYSNOTREADY, "WSASYSNOTREADY",
     "WSAStartup cannot function at this time because the underlying system it uses to provide network "
     "services is currently unavailable."},
    {0, NULL, PS_WSAVERNOTSUPPORTED, "WSAVERNOTSUPPORTED",
     "The Windows Sockets version requested is not supported."},
    {0, NULL, PS_WSANOTINITIALISED, "WSANOTINITIALISED",
     "Either the application has not called WSAStartup, or WSAStartup failed."},
    {0, NULL, PS_WSAEDISCON, "WSAEDISCON",
     "Returned by WSARecv or WSARecvFrom to indicate the remote party has initiated a graceful shutdown "
     "sequence."},
    {0, NULL, PS_WSATYPE_NOT_FOUND, "WSATYPE_NOT_FOUND", "The specified class was not found."},
    {0, NULL, PS_WSAHOST_NOT_FOUND, "WSAHOST_NOT_FOUND", "No such host is known."},
    {0, NULL, PS_WSATRY_AGAIN, "WSATRY_AGAIN",
     "This is usually a temporary error during hostname resolution and means that the local server did "
     "not receive a response from an authoritative server."},
    {0, NULL, PS_WSANO_RECOVERY, "WSANO_RECOVERY", "A non-recoverable error occurred during a database lookup."},
    {0, NULL, PS_WSANO_DATA, "WSANO_DATA", "The requested name is valid, but no data of the requested type was found."},
};

#define TABLE_ROWS (sizeof wsa_table / sizeof wsa_table[0])

/* EAI_* to Winsock, as Windows' ws2tcpip.h defines the EAI codes. */
static const struct { int eai; int wsa; } eai_table[] = {
    {EAI_AGAIN, PS_WSATRY_AGAIN},
    {EAI_BADFLAGS, PS_WSAEINVAL},
    {EAI_FAIL, PS_WSANO_RECOVERY},
    {EAI_FAMILY, PS_WSAEAFNOSUPPORT},
    {EAI_MEMORY, PS_WSA_NOT_ENOUGH_MEMORY},
    {EAI_NONAME, PS_WSAHOST_NOT_FOUND},
    {EAI_SERVICE, PS_WSATYPE_NOT_FOUND},
    {EAI_SOCKTYPE, PS_WSAESOCKTNOSUPPORT},
#ifdef EAI_NODATA
    {EAI_NODATA, PS_WSAHOST_NOT_FOUND},
#endif
#ifdef EAI_ADDRFAMILY
    {EAI_ADDRFAMILY, PS_WSAHOST_NOT_FOUND},
#endif
#ifdef EAI_OVERFLOW
    {EAI_OVERFLOW, PS_WSAEFAULT},
#endif
};

#define EAI_ROWS (sizeof eai_table / sizeof eai_table[0])

int ps_wsa_from_errno(int err)
{
    size_t i;
    for (i = 0; i < TABLE_ROWS; i++)
        if (wsa_table[i].err == err && err != 0)
            return wsa_table[i].wsa;
    /* An errno with no Winsock meaning: report it as an invalid argument
       rather than leaking a platform-specific number. */
    return PS_WSAEINVAL;
}

int ps_wsa_from_eai(int eai, int err)
{
    size_t i;
#ifdef EAI_SYSTEM
    if (eai == EAI_SYSTEM)
        return err ? ps_wsa_from_errno(err) : PS_WSANO_RECOVERY;
#endif
    (void)err;
    for (i = 0; i < EAI_ROWS; i++)
        if (eai_table[i].eai == eai)
            return eai_table[i].wsa;
    return PS_WSANO_RECOVERY;
}

static const struct wsa_row *find_code(int code)
{
    size_t i;
    for (i = 0; i < TABLE_ROWS; i++)
        if (wsa_table[i].wsa == code && wsa_table[i].name != NULL)
            return &wsa_table[i];
    return NULL;
}

const char *ps_wsa_name(int code)
{
    const struct wsa_row *row = find_code(code);
    return row ? row->name : NULL;
}

const char *ps_wsa_message(int code)
{
    const struct wsa_row *row = find_code(code);
    return row ? row->message : NULL;
}

const char *ps_errno_name_from_wsa(int code)
{
    const struct wsa_row *row = find_code(code);
    return row ? row->err_name : NULL;
}

int ps_errno_from_wsa(int code)
{
    const struct wsa_row *row = find_code(code);
    if (row == NULL)
        return 0;
    return row->err;
}
