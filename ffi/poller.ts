/**
 * Waiting for sockets without blocking the event loop: one `poll` on a worker thread over every socket plus an
 * eventfd that wakes it early (new socket, shutdown).
 *
 * @module
 */
import { EFD_CLOEXEC, EFD_NONBLOCK, POLLIN } from "./constants.ts";
import { errno, SystemCallError } from "./errno.ts";
import { libc } from "./libc.ts";
import { POLLFD } from "./structs.ts";

const EVENTFD_COUNTER_SIZE = 8;

/** Waits on a set of descriptors. Slot 0 is its own eventfd; callers' descriptors follow in the order given. */
export class Poller implements Disposable {
  #eventfd: number;
  #buffer: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(this.#buffer.buffer);
  #count = 0;
  #waiting: Promise<number> | null = null;
  readonly #counter = new Uint8Array(EVENTFD_COUNTER_SIZE);

  /** Opens the eventfd. */
  constructor() {
    const fd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd === -1) throw new SystemCallError("eventfd", errno());
    this.#eventfd = fd;
    this.watch([]);
  }

  /** Sets the descriptors to wait for (readable, and errors, which poll always reports). Not while waiting. */
  watch(fds: readonly number[]): void {
    if (this.#waiting !== null) {
      throw new Error("Poller.watch() while a wait is in flight");
    }
    this.#count = fds.length + 1;
    this.#buffer = new Uint8Array(this.#count * POLLFD.size);
    this.#view = new DataView(this.#buffer.buffer);
    [this.#eventfd, ...fds].forEach((fd, i) => {
      this.#view.setInt32(i * POLLFD.size + POLLFD.fd, fd, true);
      this.#view.setInt16(i * POLLFD.size + POLLFD.events, POLLIN, true);
    });
  }

  /**
   * Waits up to `timeoutMs` for any descriptor. Resolves with poll's result; -1 means "look again" (the worker's
   * errno is not visible from here, and EINTR is the usual cause).
   */
  async wait(timeoutMs: number): Promise<number> {
    // The worker writes revents into this buffer: the reference held in #waiting's closure keeps it alive, since
    // Deno does not pin buffers passed to nonblocking calls.
    const buffer = this.#buffer;
    this.#waiting = libc().poll(
      buffer,
      BigInt(this.#count),
      Math.trunc(timeoutMs),
    );
    try {
      const result = await this.#waiting;
      if (this.revents(-1) !== 0) {
        libc().read(this.#eventfd, this.#counter, BigInt(EVENTFD_COUNTER_SIZE));
      }
      return result;
    } finally {
      this.#waiting = null;
      void buffer;
    }
  }

  /**
   * Looks without waiting, on the calling thread (no worker hop, no nonblocking call). Returns poll's result; the
   * events are read with {@linkcode Poller.revents} as after {@linkcode Poller.wait}.
   */
  poll(): number {
    if (this.#waiting !== null) throw new Error("Poller.poll() while a wait is in flight");
    const result = libc().poll_now(this.#buffer, BigInt(this.#count), 0);
    if (result > 0 && this.revents(-1) !== 0) {
      libc().read(this.#eventfd, this.#counter, BigInt(EVENTFD_COUNTER_SIZE));
    }
    return result;
  }

  /** The events reported for the `index`-th descriptor given to {@linkcode Poller.watch} (-1: the eventfd). */
  revents(index: number): number {
    return this.#view.getInt16(
      (index + 1) * POLLFD.size + POLLFD.revents,
      true,
    );
  }

  /** Whether a wait is in flight. */
  get waiting(): boolean {
    return this.#waiting !== null;
  }

  /** Ends the current wait early. */
  wake(): void {
    const one = new Uint8Array(EVENTFD_COUNTER_SIZE);
    one[0] = 1;
    libc().write(this.#eventfd, one, BigInt(EVENTFD_COUNTER_SIZE));
  }

  /** Closes the eventfd. Only when no wait is in flight; safe to call twice. */
  close(): void {
    if (this.#eventfd === -1) return;
    libc().close(this.#eventfd);
    this.#eventfd = -1;
  }

  /** Same as {@linkcode Poller.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
