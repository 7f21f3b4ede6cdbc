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

function labelBlock(names: readonly string[], values: readonly string[]): Uint8Array {
  let out = "";
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i]!)}"`;
  }
  return ENCODER.encode(out);
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;

/**
 * A growable byte buffer that is kept between scrapes, so a scrape writes
 * its bytes once and allocates only the copy it hands out.
 */
export class ByteWriter {
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(1 << 16);
  #pos = 0;

  /** Starts over, keeping the capacity. */
  reset(): void {
    this.#pos = 0;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** Appends a string of ASCII characters (names, numbers). */
  ascii(s: string): void {
    this.#room(s.length);
    for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
  }

  /** Appends a sample value and a newline; counts (small non-negative integers) skip the string. */
  value(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 1e6) {
      this.#room(8);
      if (v === 0) this.#buf[this.#pos++] = DIGIT_0;
      else {
        const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : 6;
        for (let i = digits - 1; i >= 0; i--, v = Math.floor(v / 10)) this.#buf[this.#pos + i] = DIGIT_0 + v % 10;
        this.#pos += digits;
      }
    } else this.ascii(formatValue(v));
    this.#room(1);
    this.#buf[this.#pos++] = NEWLINE;
  }

  /** A copy of what was written. */
  take(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.#pos);
  }
}

/** One labelled counter or gauge. */
export class Scalar {
  /** The current value. */
  value = 0;
  /** The label pairs, encoded once: `a="x",b="y"`. */
  readonly labels: Uint8Array;

  /** Builds a child with its encoded labels. */
  constructor(labels: Uint8Array) {
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
  /** The label pairs, encoded once. */
  readonly labels: Uint8Array;
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of observations. */
  sum = 0;
  /** Number of observations. */
  count = 0;
  /** `name_bucket{` and the labels, encoded once: the start of every bucket line. */
  bucketPrefix: Uint8Array = new Uint8Array(0);
  readonly #bounds: Float64Array;

  /** Builds a child over `bounds` (ascending, finite). */
  constructor(labels: Uint8Array, bounds: Float64Array) {
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
  readonly #bytes: FamilyBytes;

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
    this.#bytes = familyBytes(name, help, type, [...this.#bounds].map(formatValue));
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
      if (this.type === "histogram") {
        const h = new Histogram(labels, this.#bounds);
        h.bucketPrefix = concat(this.#bytes.bucket, labels);
        child = h as T;
      } else child = new Scalar(labels) as T;
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

  /** Writes this family's lines. */
  render(out: ByteWriter, format: ExpositionFormat): void {
    const b = this.#bytes;
    out.bytes(format === "openmetrics" ? b.headerOpenMetrics : b.header);
    for (const child of this.#children.values()) {
      if (child instanceof Histogram) this.#renderHistogram(out, child);
      else {
        this.#open(out, b.name, child.labels);
        out.value(child.value);
      }
    }
  }

  /** Writes `name{labels} ` or `name ` for a child without labels. */
  #open(out: ByteWriter, name: Uint8Array, labels: Uint8Array): void {
    out.bytes(name);
    if (labels.length === 0) out.bytes(SPACE);
    else {
      out.bytes(OPEN);
      out.bytes(labels);
      out.bytes(CLOSE);
    }
  }

  #renderHistogram(out: ByteWriter, h: Histogram): void {
    const b = this.#bytes;
    const le = h.labels.length === 0 ? b.leAlone : b.leAfterLabels;
    let cumulative = 0;
    for (let i = 0; i < le.length; i++) {
      cumulative += h.counts[i]!;
      out.bytes(h.bucketPrefix);
      out.bytes(le[i]!);
      out.value(i === le.length - 1 ? h.count : cumulative);
    }
    this.#open(out, b.sum, h.labels);
    out.value(h.sum);
    this.#open(out, b.count, h.labels);
    out.value(h.count);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const SPACE = ENCODER.encode(" ");
const OPEN = ENCODER.encode("{");
const CLOSE = ENCODER.encode("} ");

/** A family's fixed byte strings, encoded once. */
interface FamilyBytes {
  header: Uint8Array;
  headerOpenMetrics: Uint8Array;
  name: Uint8Array;
  bucket: Uint8Array;
  sum: Uint8Array;
  count: Uint8Array;
  /** `le="x"} ` per bound and `+Inf`, for a child without other labels. */
  leAlone: Uint8Array[];
  /** `,le="x"} ` per bound and `+Inf`, after other labels. */
  leAfterLabels: Uint8Array[];
}

function familyBytes(name: string, help: string, type: MetricType, bounds: string[]): FamilyBytes {
  // OpenMetrics names a counter family without its `_total` suffix.
  const omName = type === "counter" ? name.slice(0, -"_total".length) : name;
  const header = (n: string) => ENCODER.encode(`# HELP ${n} ${help}\n# TYPE ${n} ${type}\n`);
  const les = [...bounds, "+Inf"];
  return {
    header: header(name),
    headerOpenMetrics: header(omName),
    name: ENCODER.encode(name),
    bucket: ENCODER.encode(`${name}_bucket{`),
    sum: ENCODER.encode(`${name}_sum`),
    count: ENCODER.encode(`${name}_count`),
    leAlone: les.map((le) => ENCODER.encode(`le="${le}"} `)),
    leAfterLabels: les.map((le) => ENCODER.encode(`,le="${le}"} `)),
  };
}

/** An ordered set of families rendered together. */
export class Registry {
  readonly #families: Family[] = [];
  readonly #writer = new ByteWriter();

  /** Adds a family and returns it. */
  add<T extends Family>(family: T): T {
    if (this.#families.some((f) => f.name === family.name)) {
      throw new RangeError(`Cannot register ${family.name}: the name is taken`);
    }
    this.#families.push(family);
    return family;
  }

  /**
   * The whole exposition as bytes, written into a buffer kept between calls.
   *
   * @param format `"prometheus"` (text 0.0.4) or `"openmetrics"` (ends in `# EOF`).
   * @returns The body to serve (a copy the caller owns).
   */
  renderBytes(format: ExpositionFormat): Uint8Array<ArrayBuffer> {
    const out = this.#writer;
    out.reset();
    for (const family of this.#families) family.render(out, format);
    if (format === "openmetrics") out.ascii("# EOF\n");
    return out.take();
  }

  /**
   * The whole exposition as text.
   *
   * @param format As for {@linkcode Registry.renderBytes}.
   * @returns The body.
   */
  render(format: ExpositionFormat): string {
    return DECODER.decode(this.renderBytes(format));
  }
}
