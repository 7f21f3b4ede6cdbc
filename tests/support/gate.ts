/**
 * Gates for tests that need privilege. Outside CI a test whose requirement is missing is ignored, saying why;
 * under `CI=true` it runs anyway, so a missing requirement fails it instead of passing silently.
 *
 * @module
 */

/** True when running under CI (`CI=true` or `CI=1`). */
export const inCI: boolean = ["true", "1"].includes(Deno.env.get("CI")?.toLowerCase() ?? "");

const announced = new Set<string>();

/** Returns Deno.test's `ignore` for a requirement: `missing` is the reason it is not met, or null when it is. */
export function gate(missing: string | null): boolean {
  if (missing === null || inCI) return false;
  if (!announced.has(missing)) {
    announced.add(missing);
    console.error(`%cskipping tests: ${missing}`, "color: yellow");
  }
  return true;
}
