/**
 * Linux constants for the ICMP socket binding. Values are the x86_64 / aarch64 ABI (they agree for everything here).
 *
 * @module
 */

/** Address families. */
export const AF_UNSPEC = 0;
/** IPv4 address family. */
export const AF_INET = 2;
/** IPv6 address family. */
export const AF_INET6 = 10;

/** Socket types and the flags that can be or-ed into them. */
export const SOCK_DGRAM = 2;
/** Raw socket type. */
export const SOCK_RAW = 3;
/** Opens the socket nonblocking. */
export const SOCK_NONBLOCK = 0x800;
/** Closes the socket in exec'd children. */
export const SOCK_CLOEXEC = 0x80000;

/** Protocol numbers, also used as `setsockopt` levels. */
export const IPPROTO_IP = 0;
/** ICMPv4 protocol number. */
export const IPPROTO_ICMP = 1;
/** UDP, only used to check that a source address is local. */
export const IPPROTO_UDP = 17;
/** IPv6 level. */
export const IPPROTO_IPV6 = 41;
/** ICMPv6 protocol number. */
export const IPPROTO_ICMPV6 = 58;
/** Socket level. */
export const SOL_SOCKET = 1;
/** Raw socket level (for ICMP_FILTER). */
export const SOL_RAW = 255;

/** IPv4 options (level IPPROTO_IP). */
export const IP_TOS = 1;
/** IPv4 TTL option, and the cmsg type that carries a received TTL. */
export const IP_TTL = 2;
/** Per-packet source address on send. */
export const IP_PKTINFO = 8;
/** Queue ICMP errors on the error queue. */
export const IP_RECVERR = 11;
/** Report the received TTL as a cmsg. */
export const IP_RECVTTL = 12;

/** IPv6 options (level IPPROTO_IPV6): queue ICMPv6 errors on the error queue. */
export const IPV6_RECVERR = 25;
/** Per-packet source address on send. */
export const IPV6_PKTINFO = 50;
/** Report the received hop limit as a cmsg. */
export const IPV6_RECVHOPLIMIT = 51;
/** cmsg type of a hop limit (received, or per-packet on send). */
export const IPV6_HOPLIMIT = 52;
/** Traffic class, socket option and per-packet cmsg. */
export const IPV6_TCLASS = 67;

/** ICMP_FILTER on a raw ICMPv4 socket (level SOL_RAW): a set bit drops that type. */
export const ICMP_FILTER = 1;
/** ICMP6_FILTER (level IPPROTO_ICMPV6): a set bit blocks that type. */
export const ICMP6_FILTER = 1;
/** Size of `struct icmp6_filter`. */
export const ICMP6_FILTER_SIZE = 32;

/** Socket options (level SOL_SOCKET): read and clear the pending error (`sk_err`). */
export const SO_ERROR = 4;
/** Allow sending to broadcast addresses. */
export const SO_BROADCAST = 6;
/** Receive buffer size (read back doubled: the kernel's truesize budget). */
export const SO_RCVBUF = 8;
/** Bind the socket to a network interface by name. */
export const SO_BINDTODEVICE = 25;
/** Like SO_RCVBUF but may exceed rmem_max (needs CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;
/** Receive timestamps as `struct timespec`, CLOCK_REALTIME. */
export const SO_TIMESTAMPNS = 35;
/** cmsg type carrying the SO_TIMESTAMPNS stamp. */
export const SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
/** Kernel transmit and receive stamps, chosen by `SOF_TIMESTAMPING_*` flags. */
export const SO_TIMESTAMPING = 37;
/** cmsg type carrying `struct scm_timestamping` (three timespecs). */
export const SCM_TIMESTAMPING = SO_TIMESTAMPING;
/** Per-`sendmsg` cmsg (u32) that sets the OPT_ID key of that send's stamps instead of the socket's counter (6.13+). */
export const SCM_TS_OPT_ID = 81;

/** `SOF_TIMESTAMPING_*` flags of SO_TIMESTAMPING: a software stamp when the driver takes a packet (`SND`). */
export const SOF_TIMESTAMPING_TX_SOFTWARE = 0x2;
/** A software stamp when a packet is handed to the device layer, before its qdisc (`SCHED`). */
export const SOF_TIMESTAMPING_TX_SCHED = 0x100;
/** A software stamp when a packet enters the stack. */
export const SOF_TIMESTAMPING_RX_SOFTWARE = 0x8;
/** Report software stamps (without it the kernel generates them but reports nothing). */
export const SOF_TIMESTAMPING_SOFTWARE = 0x10;
/** Tag each transmit stamp with a per-socket counter of sends (`ee_data`). */
export const SOF_TIMESTAMPING_OPT_ID = 0x80;
/** Also deliver IPv4 packet info with transmit stamps. */
export const SOF_TIMESTAMPING_OPT_CMSG = 0x400;
/** Transmit stamps come without a copy of the packet (and need no privilege). */
export const SOF_TIMESTAMPING_OPT_TSONLY = 0x800;
/** `ee_info` of a transmit stamp taken in the driver (`TX_SOFTWARE`; not requested by miniping). */
export const SCM_TSTAMP_SND = 0;
/** `ee_info` of a transmit stamp taken before the qdisc (`TX_SCHED`, the one miniping requests). */
export const SCM_TSTAMP_SCHED = 1;
/** `ee_info` of a stamp taken when TCP sees the data acknowledged (never requested by miniping). */
export const SCM_TSTAMP_ACK = 2;

/** `recvmsg` / `sendmsg` flags: control data was cut short (the buffer was too small). */
export const MSG_CTRUNC = 0x8;
/** Do not block. */
export const MSG_DONTWAIT = 0x40;
/** Read the error queue. */
export const MSG_ERRQUEUE = 0x2000;

/** `poll` events. */
export const POLLIN = 0x1;
/** Error queue not empty (always reported). */
export const POLLERR = 0x8;

/** `eventfd` flags. */
export const EFD_CLOEXEC = 0x80000;
/** Nonblocking eventfd. */
export const EFD_NONBLOCK = 0x800;

/** `sock_extended_err.ee_origin` values. */
export const SO_EE_ORIGIN_LOCAL = 1;
/** The error came from an ICMPv4 message. */
export const SO_EE_ORIGIN_ICMP = 2;
/** The error came from an ICMPv6 message. */
export const SO_EE_ORIGIN_ICMP6 = 3;
/** A transmit timestamp (SO_TIMESTAMPING), `ee_data` = the OPT_ID key of the send. */
export const SO_EE_ORIGIN_TIMESTAMPING = 4;

/** Clocks for `clock_gettime`. */
export const CLOCK_REALTIME = 0;
/** Monotonic clock. */
export const CLOCK_MONOTONIC = 1;

/** errno values the binding acts on. */
export const Errno = {
  EPERM: 1,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EINVAL: 22,
  EMFILE: 24,
  ENOMSG: 42,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EAFNOSUPPORT: 97,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ENOBUFS: 105,
  ENODEV: 19,
  EHOSTUNREACH: 113,
} as const;

/** open(2) flags. */
export const O_RDONLY = 0;
/** Close the descriptor on exec. */
export const O_CLOEXEC = 0x80000;
