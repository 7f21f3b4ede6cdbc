/**
 * The engine between the public API and the libc binding.
 *
 * @module
 */
export * from "./engine.ts";
export * from "./events.ts";
export * from "./target.ts";
export { Call } from "./call.ts";
export { TargetRun } from "./run.ts";
export { PaceGroup, Scheduler } from "./scheduler.ts";
