/**
 * The libc symbols miniping uses, in one table, and the library opened once per process.
 *
 * `ssize_t` results are declared `i32`: on LP64 the value arrives in the low half of the return register, -1 comes
 * through intact, and a number is cheaper to handle than a bigint. No call here can return more than 2 GiB.
 *
 * @module
 */

/** Every libc symbol the binding calls, with its C prototype. */
export const LIBC_SYMBOLS = {
  // int socket(int domain, int type, int protocol);
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  // int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  // int bind(int fd, const struct sockaddr *addr, socklen_t addrlen);
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  // The same sendmmsg on a worker thread (Deno's blocking pool; the call resolves a Promise): a big batch's kernel
  // work overlaps the caller's. errno is that thread's: a short count is sent again on the calling thread.
  sendmmsg_async: { name: "sendmmsg", parameters: ["i32", "buffer", "u32", "i32"], result: "i32", nonblocking: true },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout);
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  // int close(int fd);
  close: { parameters: ["i32"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout); run on a worker thread so waiting never blocks the loop.
  poll: {
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // The same poll on the calling thread, for a zero timeout: no worker hop when the loop only looks.
  poll_now: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  // int eventfd(unsigned int initval, int flags);
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t count);
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // int clock_gettime(clockid_t clockid, struct timespec *tp);
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  // int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res);
  // On a worker thread: a DNS lookup can take seconds.
  getaddrinfo: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  // void freeaddrinfo(struct addrinfo *res);
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  // const char *gai_strerror(int errcode);
  gai_strerror: { parameters: ["i32"], result: "pointer" },
  // char *strerror(int errnum);
  strerror: { parameters: ["i32"], result: "pointer" },
  // uid_t geteuid(void);
  geteuid: { parameters: [], result: "u32" },
  // gid_t getegid(void);
  getegid: { parameters: [], result: "u32" },
  // int open(const char *pathname, int flags, ...); called without the variadic mode, which only O_CREAT reads.
  open: { parameters: ["buffer", "i32"], result: "i32" },
  // int *__errno_location(void);
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's symbols. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

type SymbolName = keyof typeof LIBC_SYMBOLS;

/**
 * Symbols that `miniping -c 1 127.0.0.1` never calls: names (getaddrinfo), the broadcast check, the idle wait and its
 * wake-up, send batches offloaded to a worker thread, the permission diagnosis. `Deno.dlopen` binds every symbol it
 * is given (timed in-process: about 0.55 ms per dlopen plus 0.15 ms per symbol), so these are bound by a second
 * `dlopen` of the same table the first time one of them is used.
 */
const DEFERRED: readonly SymbolName[] = [
  "getaddrinfo",
  "freeaddrinfo",
  "sendmmsg_async",
  "gai_strerror",
  "connect",
  "poll",
  "read",
  "write",
  "geteuid",
  "getegid",
  "open",
];

let symbols: Libc | undefined;
/** Each opened library, kept so that nothing unloads it. */
const opened: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];

/**
 * Opens libc on first use. Kept open for the life of the process: closing it while a nonblocking call is in flight
 * would unmap code a worker thread is running.
 */
export function libc(): Libc {
  return symbols ??= bindEager();
}

function bindEager(): Libc {
  const names = (Object.keys(LIBC_SYMBOLS) as SymbolName[]).filter((name) => !DEFERRED.includes(name));
  const bound = { ...open(names) } as Libc;
  for (const name of DEFERRED) {
    Object.defineProperty(bound, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        bindDeferred(bound);
        return bound[name];
      },
    });
  }
  return bound;
}

function bindDeferred(bound: Libc): void {
  const deferred = open(DEFERRED);
  for (const name of DEFERRED) {
    Object.defineProperty(bound, name, { configurable: false, enumerable: true, value: deferred[name] });
  }
}

function open(names: readonly SymbolName[]): Record<string, unknown> {
  const table = Object.fromEntries(names.map((name) => [name, LIBC_SYMBOLS[name]])) as Deno.ForeignLibraryInterface;
  try {
    const library = Deno.dlopen("libc.so.6", table);
    opened.push(library);
    return library.symbols;
  } catch (error) {
    // Without --allow-ffi Deno says so itself; anything else is a system without glibc's soname.
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) throw error;
    throw new Error(
      "Cannot load libc.so.6: miniping needs glibc on Linux (musl systems such as Alpine have no libc.so.6; use a " +
        "glibc-based image such as Debian or Ubuntu), and the unscoped --allow-ffi flag",
      { cause: error },
    );
  }
}
