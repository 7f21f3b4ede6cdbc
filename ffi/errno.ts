/**
 * errno access and the one place where a failed call plus errno becomes a typed error.
 *
 * @module
 */
import { Errno } from "./constants.ts";
import { libc } from "./libc.ts";

let errnoView: Int32Array | undefined;

/**
 * The calling thread's errno, read right after a synchronous call returned -1. Nonblocking calls run on another
 * thread, so their errno is not visible here.
 */
export function errno(): number {
  if (errnoView === undefined) {
    const pointer = libc().__errno_location();
    if (pointer === null) throw new Error("__errno_location() returned NULL");
    // A live view: reading it costs a few ns, against ~40 ns for UnsafePointerView.getInt32.
    errnoView = new Int32Array(
      Deno.UnsafePointerView.getArrayBuffer(pointer, 4),
    );
  }
  return errnoView[0];
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/** The symbolic name of an errno value, e.g. `EHOSTUNREACH`, or `errno N` for ones the binding does not name. */
export function errnoName(value: number): string {
  return ERRNO_NAMES[value] ?? `errno ${value}`;
}

/** The C library's text for an errno value. */
export function strerror(value: number): string {
  const pointer = libc().strerror(value);
  return pointer === null ? errnoName(value) : Deno.UnsafePointerView.getCString(pointer);
}

/** A system call failed. `errno` is the raw value and `code` its symbolic name. */
export class SystemCallError extends Error {
  /** The raw errno value. */
  readonly errno: number;
  /** The symbolic name, e.g. `EACCES`. */
  readonly code: string;
  /** The call that failed, e.g. `socket`. */
  readonly syscall: string;

  /** Builds the error for `syscall` having failed with `errno`. */
  constructor(syscall: string, errnoValue: number, options?: ErrorOptions) {
    super(
      `${syscall}: ${strerror(errnoValue)} (${errnoName(errnoValue)})`,
      options,
    );
    this.name = "SystemCallError";
    this.errno = errnoValue;
    this.code = errnoName(errnoValue);
    this.syscall = syscall;
  }
}
