/**
 * The pure ICMP codec: checksums, echo encoding, packet decoding, error texts and address text. Bytes and numbers
 * in, values out; no I/O and no imports from outside this folder. Internal to the package: the public entry point
 * re-exports what users need.
 *
 * @module
 */

export * from "./address.ts";
export * from "./checksum.ts";
export * from "./codes.ts";
export * from "./constants.ts";
export * from "./decode.ts";
export * from "./echo.ts";
