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
    int wsa;            /* the Winsock code */
    const char *name;
    const char *message;
};

/* The first row of a code gives its name, message and reverse errno; later rows
   only add errno values that map to it. */
static const struct wsa_row wsa_table[] = {
    {ENOMEM, PS_WSA_NOT_ENOUGH_MEMORY, "WSA_NOT_ENOUGH_MEMORY",
     "Not enough memory resources are available to process this command."},
    {0, PS_WSA_INVALID_PARAMETER, "WSA_INVALID_PARAMETER", "The parameter is incorrect."},
    {EINTR, PS_WSAEINTR, "WSAEINTR",
     "A blocking operation was interrupted by a call to WSACancelBlockingCall."},
    {EBADF, PS_WSAEBADF, "WSAEBADF", "The file handle supplied is not valid."},
    {EACCES, PS_WSAEACCES, "WSAEACCES",
     "An attempt was made to access a socket in a way forbidden by its access permissions."},
    {EPERM, PS_WSAEACCES, NULL, NULL},
    {EFAULT, PS_WSAEFAULT, "WSAEFAULT",
     "The system detected an invalid pointer address in attempting to use a pointer argument in a call."},
    {EINVAL, PS_WSAEINVAL, "WSAEINVAL", "An invalid argument was supplied."},
    {EMFILE, PS_WSAEMFILE, "WSAEMFILE", "Too many open sockets."},
    {ENFILE, PS_WSAEMFILE, NULL, NULL},
    {EWOULDBLOCK, PS_WSAEWOULDBLOCK, "WSAEWOULDBLOCK",
     "A non-blocking socket operation could not be completed immediately."},
    {EAGAIN, PS_WSAEWOULDBLOCK, NULL, NULL},
    {EINPROGRESS, PS_WSAEWOULDBLOCK, NULL, NULL},
    {0, PS_WSAEINPROGRESS, "WSAEINPROGRESS", "A blocking operation is currently executing."},
    {EALREADY, PS_WSAEALREADY, "WSAEALREADY",
     "An operation was attempted on a non-blocking socket that already had an operation in progress."},
    {ENOTSOCK, PS_WSAENOTSOCK, "WSAENOTSOCK",
     "An operation was attempted on something that is not a socket."},
    {EDESTADDRREQ, PS_WSAEDESTADDRREQ, "WSAEDESTADDRREQ",
     "A required address was omitted from an operation on a socket."},
    {EMSGSIZE, PS_WSAEMSGSIZE, "WSAEMSGSIZE",
     "A message sent on a datagram socket was larger than the internal message buffer or some other "
     "network limit, or the buffer used to receive a datagram into was smaller than the datagram itself."},
    {EPROTOTYPE, PS_WSAEPROTOTYPE, "WSAEPROTOTYPE",
     "A protocol was specified in the socket function call that does not support the semantics of the "
     "socket type requested."},
    {ENOPROTOOPT, PS_WSAENOPROTOOPT, "WSAENOPROTOOPT",
     "An unknown, invalid, or unsupported option or level was specified in a getsockopt or setsockopt call."},
    {EPROTONOSUPPORT, PS_WSAEPROTONOSUPPORT, "WSAEPROTONOSUPPORT",
     "The requested protocol has not been configured into the system, or no implementation for it exists."},
#ifdef ESOCKTNOSUPPORT
    {ESOCKTNOSUPPORT, PS_WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT",
     "The support for the specified socket type does not exist in this address family."},
#else
    {0, PS_WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT",
     "The support for the specified socket type does not exist in this address family."},
#endif
    {EOPNOTSUPP, PS_WSAEOPNOTSUPP, "WSAEOPNOTSUPP",
     "The attempted operation is not supported for the type of object referenced."},
#ifdef ENOTSUP
    {ENOTSUP, PS_WSAEOPNOTSUPP, NULL, NULL},
#endif
#ifdef EPFNOSUPPORT
    {EPFNOSUPPORT, PS_WSAEPFNOSUPPORT, "WSAEPFNOSUPPORT",
     "The protocol family has not been configured into the system or no implementation for it exists."},
#else
    {0, PS_WSAEPFNOSUPPORT, "WSAEPFNOSUPPORT",
     "The protocol family has not been configured into the system or no implementation for it exists."},
#endif
    {EAFNOSUPPORT, PS_WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT",
     "An address incompatible with the requested protocol was used."},
    {EADDRINUSE, PS_WSAEADDRINUSE, "WSAEADDRINUSE",
     "Only one usage of each socket address (protocol/network address/port) is normally permitted."},
    {EADDRNOTAVAIL, PS_WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL",
     "The requested address is not valid in its context."},
    {ENETDOWN, PS_WSAENETDOWN, "WSAENETDOWN", "A socket operation encountered a dead network."},
    {ENETUNREACH, PS_WSAENETUNREACH, "WSAENETUNREACH",
     "A socket operation was attempted to an unreachable network."},
    {ENETRESET, PS_WSAENETRESET, "WSAENETRESET",
     "The connection has been broken due to keep-alive activity detecting a failure while the operation "
     "was in progress."},
    {ECONNABORTED, PS_WSAECONNABORTED, "WSAECONNABORTED",
     "An established connection was aborted by the software in your host machine."},
    {ECONNRESET, PS_WSAECONNRESET, "WSAECONNRESET",
     "An existing connection was forcibly closed by the remote host."},
    {ENOBUFS, PS_WSAENOBUFS, "WSAENOBUFS",
     "An operation on a socket could not be performed because the system lacked sufficient buffer space "
     "or because a queue was full."},
    {EISCONN, PS_WSAEISCONN, "WSAEISCONN", "A connect request was made on an already connected socket."},
    {ENOTCONN, PS_WSAENOTCONN, "WSAENOTCONN",
     "A request to send or receive data was disallowed because the socket is not connected and (when "
     "sending on a datagram socket using a sendto call) no address was supplied."},
#ifdef ESHUTDOWN
    {ESHUTDOWN, PS_WSAESHUTDOWN, "WSAESHUTDOWN",
     "A request to send or receive data was disallowed because the socket had already been shut down in "
     "that direction with a previous shutdown call."},
#else
    /* No ESHUTDOWN here: EPIPE is what this platform says for the same thing. */
    {EPIPE, PS_WSAESHUTDOWN, "WSAESHUTDOWN",
     "A request to send or receive data was disallowed because the socket had already been shut down in "
     "that direction with a previous shutdown call."},
#endif
#ifdef ETOOMANYREFS
    {ETOOMANYREFS, PS_WSAETOOMANYREFS, "WSAETOOMANYREFS", "Too many references to some kernel object."},
#endif
    {ETIMEDOUT, PS_WSAETIMEDOUT, "WSAETIMEDOUT",
     "A connection attempt failed because the connected party did not properly respond after a period of "
     "time, or established connection failed because connected host has failed to respond."},
    {ECONNREFUSED, PS_WSAECONNREFUSED, "WSAECONNREFUSED",
     "No connection could be made because the target machine actively refused it."},
    {ELOOP, PS_WSAELOOP, "WSAELOOP", "Cannot translate name."},
    {ENAMETOOLONG, PS_WSAENAMETOOLONG, "WSAENAMETOOLONG", "Name component or name was too long."},
#ifdef EHOSTDOWN
    {EHOSTDOWN, PS_WSAEHOSTDOWN, "WSAEHOSTDOWN",
     "A socket operation failed because the destination host was down."},
#endif
    {EHOSTUNREACH, PS_WSAEHOSTUNREACH, "WSAEHOSTUNREACH",
     "A socket operation was attempted to an unreachable host."},
    {ENOTEMPTY, PS_WSAENOTEMPTY, "WSAENOTEMPTY", "Cannot remove a directory that is not empty."},
#ifdef EUSERS
    {EUSERS, PS_WSAEUSERS, "WSAEUSERS", "Ran out of quota."},
#endif
#ifdef EDQUOT
    {EDQUOT, PS_WSAEDQUOT, "WSAEDQUOT", "Ran out of disk quota."},
#endif
#ifdef ESTALE
    {ESTALE, PS_WSAESTALE, "WSAESTALE", "File handle reference is no longer available."},
#endif
#ifdef EREMOTE
    {EREMOTE, PS_WSAEREMOTE, "WSAEREMOTE", "Item is not available locally."},
#endif
    {0, PS_WSASYSNOTREADY, "WSASYSNOTREADY",
     "WSAStartup cannot function at this time because the underlying system it uses to provide network "
     "services is currently unavailable."},
    {0, PS_WSAVERNOTSUPPORTED, "WSAVERNOTSUPPORTED",
     "The Windows Sockets version requested is not supported."},
    {0, PS_WSANOTINITIALISED, "WSANOTINITIALISED",
     "Either the application has not called WSAStartup, or WSAStartup failed."},
    {0, PS_WSAEDISCON, "WSAEDISCON",
     "Returned by WSARecv or WSARecvFrom to indicate the remote party has initiated a graceful shutdown "
     "sequence."},
    {0, PS_WSATYPE_NOT_FOUND, "WSATYPE_NOT_FOUND", "The specified class was not found."},
    {0, PS_WSAHOST_NOT_FOUND, "WSAHOST_NOT_FOUND", "No such host is known."},
    {0, PS_WSATRY_AGAIN, "WSATRY_AGAIN",
     "This is usually a temporary error during hostname resolution and means that the local server did "
     "not receive a response from an authoritative server."},
    {0, PS_WSANO_RECOVERY, "WSANO_RECOVERY", "A non-recoverable error occurred during a database lookup."},
    {0, PS_WSANO_DATA, "WSANO_DATA", "The requested name is valid, but no data of the requested type was found."},
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

int ps_errno_from_wsa(int code)
{
    const struct wsa_row *row = find_code(code);
    if (row == NULL)
        return 0;
    return row->err;
}
