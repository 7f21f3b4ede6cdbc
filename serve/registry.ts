/**
 * A small metrics registry: counter, gauge and histogram families with
 * labelled children, kept up to date as events arrive and written out in the
 * Prometheus text format (0.0.4) or OpenMetrics 1.0. Rendering walks the
 * children once, so a scrape costs time in proportion to the series and
 * nothing else.
 *
 * @module
 */

/** The metric types the registry knows. */
export type MetricType = "counter" | "gauge" | "histogram";

/** The two exposition formats. */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** Content types of the two formats. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/**
 * Picks the format from a request's `Accept` header: OpenMetrics when the
 * scraper lists it (Prometheus does, first), else the classic text format.
 *
 * @param accept The `Accept` header, or null.
 * @returns The format to answer with.
 */
export function negotiateFormat(accept: string | null): ExpositionFormat {
  if (accept === null) return "prometheus";
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().split(";").map((s) => s.trim());
    if (type !== "application/openmetrics-text") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return "openmetrics";
  }
  return "prometheus";
}

/** Escapes a label value as both formats require (backslash, quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/**
 * A sample value written as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
 * writes it, as smokeping_prober does: shortest digits, exponent form below
 * 1e-4 and from 1e6 (`5e-05`, `1.5e+06`). Bucket bounds then make the same
 * `le` label values, so the two exporters' series aggregate together.
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return "0";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 6) return String(value);
  const digits = String(Math.abs(exponent)).padStart(2, "0");
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${digits}`;
}

function labelBlock(names: readonly string[], values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i]!)}"`;
  }
  return out;
}

/** One labelled counter or gauge. */
export class Scalar {
  /** The current value. */
  value = 0;
  /** The label pairs, preformatted once: `a="x",b="y"`. */
  readonly labels: string;

  /** Builds a child with its preformatted labels. */
  constructor(labels: string) {
    this.labels = labels;
  }

  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }

  /** Sets the value. */
  set(value: number): void {
    this.value = value;
  }
}

/** One labelled histogram with fixed upper bounds. */
export class Histogram {
  /** The label pairs, preformatted once. */
  readonly labels: string;
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of observations. */
  sum = 0;
  /** Number of observations. */
  count = 0;
  readonly #bounds: Float64Array;

  /** Builds a child over `bounds` (ascending, finite). */
  constructor(labels: string, bounds: Float64Array) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.#bounds;
    let lo = 0;
    let hi = bounds.length;
    // The first bucket whose upper bound is ≥ value (le is inclusive).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]!++;
    this.sum += value;
    this.count++;
  }
}

/** Options of {@linkcode Family}. */
export interface FamilyOptions {
  /** Label names, in output order. */
  labelNames?: readonly string[];
  /** Upper bounds for a histogram, ascending. */
  buckets?: readonly number[];
}

/** A metric family: a name, help, type and labelled children. */
export class Family<T extends Scalar | Histogram = Scalar | Histogram> {
  /** Full sample name (counters end in `_total`). */
  readonly name: string;
  /** Help text. */
  readonly help: string;
  /** Metric type. */
  readonly type: MetricType;
  /** Label names. */
  readonly labelNames: readonly string[];
  readonly #children = new Map<string, T>();
  readonly #bounds: Float64Array;
  readonly #boundLabels: string[];

  /** Builds an empty family. */
  constructor(name: string, help: string, type: MetricType, options: FamilyOptions = {}) {
    if (type === "counter" && !name.endsWith("_total")) {
      throw new RangeError(`Cannot register ${name}: a counter's name must end in _total`);
    }
    this.name = name;
    this.help = help;
    this.type = type;
    this.labelNames = options.labelNames ?? [];
    this.#bounds = Float64Array.from(options.buckets ?? []);
    this.#boundLabels = [...this.#bounds].map(formatValue);
  }

  /**
   * The child for these label values, created at zero on first use.
   *
   * @param values One value per label name.
   * @returns The child.
   */
  child(...values: string[]): T {
    const key = values.join("\u0000");
    let child = this.#children.get(key);
    if (child === undefined) {
      const labels = labelBlock(this.labelNames, values);
      child = (this.type === "histogram" ? new Histogram(labels, this.#bounds) : new Scalar(labels)) as T;
      this.#children.set(key, child);
    }
    return child;
  }

  /** Drops the child for these label values, if present. */
  remove(...values: string[]): void {
    this.#children.delete(values.join("\u0000"));
  }

  /** How many children there are. */
  get size(): number {
    return this.#children.size;
  }

  /** Appends this family's lines to `out`. */
  render(out: string[], format: ExpositionFormat): void {
    const om = format === "openmetrics";
    // OpenMetrics names the counter family without its `_total` suffix.
    const familyName = om && this.type === "counter" ? this.name.slice(0, -"_total".length) : this.name;
    out.push(`# HELP ${familyName} ${this.help}`, `# TYPE ${familyName} ${this.type}`);
    for (const child of this.#children.values()) {
      if (child instanceof Histogram) this.#renderHistogram(out, child);
      else out.push(`${this.name}${child.labels === "" ? "" : `{${child.labels}}`} ${formatValue(child.value)}`);
    }
  }

  #renderHistogram(out: string[], h: Histogram): void {
    const prefix = h.labels === "" ? "" : `${h.labels},`;
    let cumulative = 0;
    for (let i = 0; i < this.#boundLabels.length; i++) {
      cumulative += h.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}le="${this.#boundLabels[i]}"} ${cumulative}`);
    }
    out.push(`${this.name}_bucket{${prefix}le="+Inf"} ${h.count}`);
    const braces = h.labels === "" ? "" : `{${h.labels}}`;
    out.push(`${this.name}_sum${braces} ${formatValue(h.sum)}`, `${this.name}_count${braces} ${h.count}`);
  }
}

/** An ordered set of families rendered together. */
export class Registry {
  readonly #families: Family[] = [];

  /** Adds a family and returns it. */
  add<T extends Family>(family: T): T {
    if (this.#families.some((f) => f.name === family.name)) {
      throw new RangeError(`Cannot register ${family.name}: the name is taken`);
    }
    this.#families.push(family);
    return family;
  }

  /**
   * The whole exposition.
   *
   * @param format `"prometheus"` (text 0.0.4) or `"openmetrics"` (ends in `# EOF`).
   * @returns The body to serve.
   */
  render(format: ExpositionFormat): string {
    const out: string[] = [];
    for (const family of this.#families) family.render(out, format);
    if (format === "openmetrics") out.push("# EOF");
    return out.join("\n") + "\n";
  }
}
