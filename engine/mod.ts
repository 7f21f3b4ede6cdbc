/**
 * The engine between `ping()` and the libc binding.
 *
 * @module
 */
export * from "./engine.ts";
export * from "./target.ts";
export { encodeSendControl, type SendOptions } from "../ffi/cmsg.ts";
