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
  // void *dlopen(const char *filename, int flags); and void *dlsym(void *handle, const char *symbol); they look the
  // others up (see PLAIN_CALLS). glibc ≥ 2.34 has them in libc.so.6; with an older one the rest of the table is bound
  // at once and these two are absent. The result is declared as a struct of one pointer: it comes back in the same
  // register as a pointer (x86-64 SysV, AArch64), and Deno compiles no fast-call trampoline for a struct result.
  dlopen: { parameters: ["buffer", "i32"], result: { struct: ["pointer"] } },
  dlsym: { parameters: ["pointer", "buffer"], result: { struct: ["pointer"] } },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's symbols. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

type SymbolName = keyof typeof LIBC_SYMBOLS;
type Call = (...args: unknown[]) => unknown;

/**
 * Calls made through plain function pointers before the table is bound with `Deno.dlopen`.
 *
 * `Deno.dlopen` compiles a fast-call trampoline with Cranelift for every synchronous symbol it binds: the first
 * costs ~2 ms and ~2 MiB of resident code (Cranelift's, paged in), each further one ~0.15 ms. V8 only takes those
 * fast calls from optimized code, so a short run never uses them: `miniping -c 1` makes a few dozen calls in all.
 * Until then each symbol is looked up with `dlsym` when first called and called through `Deno.UnsafeFnPointer`
 * (libffi, no compile, ~1 µs more per call than a bound symbol); this many calls in, the whole table is bound and
 * every caller gets the fast symbols from then on.
 */
export const PLAIN_CALLS = 1000;

/** RTLD_NOW | RTLD_NOLOAD: the handle of a library already loaded, never a new load. */
const RTLD_NOW_NOLOAD = 0x2 | 0x4;

let symbols: Libc | undefined;
let plainCalls = 0;
let bound: "plain" | "fast" = "plain";
/** Each opened library, kept so that nothing unloads it. */
const opened: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];
const encoder = new TextEncoder();

/**
 * Opens libc on first use. Kept open for the life of the process: closing it while a nonblocking call is in flight
 * would unmap code a worker thread is running.
 */
export function libc(): Libc {
  return symbols ??= bindPlain();
}

/** How the symbols are called now: through plain pointers (the start of a process), or bound by `Deno.dlopen`. */
export function libcBinding(): "plain" | "fast" {
  return bound;
}

function bindPlain(): Libc {
  let lookup: Deno.DynamicLibrary<Pick<typeof LIBC_SYMBOLS, "dlopen" | "dlsym">>["symbols"];
  try {
    lookup = open({ dlopen: LIBC_SYMBOLS.dlopen, dlsym: LIBC_SYMBOLS.dlsym });
  } catch (error) {
    if (!(error instanceof Error) || !/dlopen|dlsym/.test(String(error.cause))) throw error;
    // A glibc older than 2.34 keeps dlsym in libdl: bind the table at once.
    return bindFast({} as Libc);
  }
  const handle = pointerOf(lookup.dlopen(encoder.encode("libc.so.6\0"), RTLD_NOW_NOLOAD));
  if (handle === null) throw new Error("Cannot load libc.so.6: dlopen(RTLD_NOLOAD) found no loaded libc.so.6");
  const table = {} as Record<SymbolName, Call>;
  for (const name of Object.keys(LIBC_SYMBOLS) as SymbolName[]) {
    table[name] = plainSymbol(name, (symbol) => {
      const address = pointerOf(lookup.dlsym(handle, encoder.encode(`${symbol}\0`)));
      if (address === null) throw new Error(`Cannot call ${symbol}: libc.so.6 has no such symbol`);
      return address;
    });
  }
  return table as unknown as Libc;
}

/** A symbol called through its address, looked up on its first call; counts calls towards {@linkcode PLAIN_CALLS}. */
function plainSymbol(name: SymbolName, address: (symbol: string) => NonNullable<Deno.PointerValue>): Call {
  const definition = LIBC_SYMBOLS[name] as Deno.ForeignFunction;
  let call: Call | undefined;
  return (...args) => {
    if (++plainCalls === PLAIN_CALLS && symbols !== undefined) upgrade(symbols);
    if (call === undefined) {
      const pointer = new Deno.UnsafeFnPointer(
        address(definition.name ?? name) as Deno.PointerObject<never>,
        definition,
      );
      call = pointer.call.bind(pointer) as Call;
    }
    return call(...args);
  };
}

/** Binds the whole table with `Deno.dlopen` and puts its symbols in `table`'s place, for every holder of it. */
function bindFast(table: Libc): Libc {
  // All but the lookup pair: a glibc older than 2.34 has no dlsym in libc.so.6 (and then no table entry for it).
  const { dlopen: _dlopen, dlsym: _dlsym, ...rest } = LIBC_SYMBOLS;
  const fast = open(rest);
  bound = "fast";
  return Object.assign(table, fast);
}

/** {@linkcode bindFast} in the middle of a run: should the table not bind, the plain calls go on working. */
function upgrade(table: Libc): void {
  try {
    bindFast(table);
  } catch {
    // Every call still works through its pointer, only ~1 µs slower.
  }
}

/** The pointer in a one-pointer struct result (see the table's `dlsym`). */
function pointerOf(result: Uint8Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(new BigUint64Array(result.buffer, result.byteOffset, 1)[0]);
}

function open<const S extends Deno.ForeignLibraryInterface>(table: S): Deno.DynamicLibrary<S>["symbols"] {
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
