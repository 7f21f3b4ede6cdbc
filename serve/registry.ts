/**
 * A small metrics registry, kept up to date as events arrive and written out
 * in the Prometheus text format (0.0.4) or OpenMetrics 1.0. Two kinds of
 * family: {@linkcode Family}, labelled children each its own object (for the
 * few series of the process), and {@linkcode ColumnFamily} /
 * {@linkcode TableHistogram}, views of a {@linkcode Table} whose rows hold
 * every per-target value in one Float64Array (thousands of targets: one
 * object and one label block per target instead of one per series).
 *
 * Every label block and name is encoded once, when its series is created: a
 * scrape copies those bytes and writes the numbers, in chunks that can be
 * streamed as they are written, so it costs time in proportion to the series
 * and nothing else.
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
  const magnitude = Math.abs(value);
  // Go and JavaScript both write the shortest digits; between 1e-4 and 1e6 both write them without an exponent.
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(value);
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  const digits = String(Math.abs(exponent)).padStart(2, "0");
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${digits}`;
}

function labelText(names: readonly string[], values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i]!)}"`;
  }
  return out;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
/** Most bytes one sample value takes (`-1.2345678901234567e-308`), with its newline. */
const MAX_VALUE_BYTES = 26;
/** Size of the chunks a scrape is written in: large enough that the copies dominate, small enough to stream. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunk size for the small families written when a scrape begins. */
const SMALL_CHUNK_BYTES = 4096;

/** Writes `v`'s digits at `pos` (a safe integer ≥ 0 below 10^6); returns the position after them. */
function putSmallInteger(buf: Uint8Array, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = DIGIT_0 + v;
    return pos + 1;
  }
  const digits = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : 6;
  for (let i = digits - 1; i >= 0; i--, v = Math.floor(v / 10)) buf[pos + i] = DIGIT_0 + v % 10;
  return pos + digits;
}

/**
 * Writes an integer from 10^6 to 2^53 as Go does (`1.234567e+06`): the
 * significant digits, a point after the first when there are more, and the
 * exponent with at least two digits.
 */
function putLargeInteger(buf: Uint8Array, pos: number, v: number): number {
  let exponent = 6;
  for (let p = 1e7; p <= v; p *= 10) exponent++;
  let significand = v;
  while (significand % 10 === 0) significand /= 10;
  let digits = 1;
  for (let p = 10; p <= significand; p *= 10) digits++;
  if (digits === 1) buf[pos++] = DIGIT_0 + significand;
  else {
    // Last digit first, leaving the slot after the first digit for the point.
    for (let i = digits; i >= 2; i--, significand = Math.floor(significand / 10)) {
      buf[pos + i] = DIGIT_0 + significand % 10;
    }
    buf[pos] = DIGIT_0 + significand;
    buf[pos + 1] = 0x2e; // .
    pos += digits + 1;
  }
  buf[pos++] = 0x65; // e
  buf[pos++] = 0x2b; // +
  if (exponent < 10) buf[pos++] = DIGIT_0;
  return putSmallInteger(buf, pos, exponent);
}

function putAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * Writes a sample value and its newline at `pos`; there must be
 * {@linkcode MAX_VALUE_BYTES} of room. Counts skip the number-to-string
 * conversion.
 */
function putValue(buf: Uint8Array, pos: number, v: number): number {
  if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    pos = v < 1e6 ? putSmallInteger(buf, pos, v) : putLargeInteger(buf, pos, v);
  } else pos = putAscii(buf, pos, formatValue(v));
  buf[pos] = NEWLINE;
  return pos + 1;
}

/**
 * Where a scrape is written: fixed-size chunks, each handed out once full,
 * so the body can stream while the rest is written and no copy of the
 * whole exposition is ever made. Writers reserve room with
 * {@linkcode ChunkWriter.room} for a whole line (or a whole series) and then
 * write into {@linkcode ChunkWriter.buf} at {@linkcode ChunkWriter.pos}.
 */
export class ChunkWriter {
  /** The chunk being written. */
  buf: Uint8Array<ArrayBuffer>;
  /** Bytes written into {@linkcode ChunkWriter.buf}. */
  pos = 0;
  /** Full chunks not yet taken. */
  readonly full: Uint8Array<ArrayBuffer>[] = [];
  readonly #size: number;

  /** Starts with one empty chunk of `size` bytes. */
  constructor(size: number = CHUNK_BYTES) {
    this.#size = size;
    this.buf = new Uint8Array(size);
  }

  /** Makes room for `n` more bytes in the current chunk, starting a new one when it lacks them. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(Math.max(this.#size, n));
    this.pos = 0;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends a string of ASCII characters. */
  ascii(s: string): void {
    this.room(s.length);
    this.pos = putAscii(this.buf, this.pos, s);
  }

  /** Appends `name`, `open` (`{labels} ` or a space) and the value with its newline. */
  line(name: Uint8Array, open: Uint8Array, value: number): void {
    this.room(name.length + open.length + MAX_VALUE_BYTES);
    const buf = this.buf;
    let pos = this.pos;
    buf.set(name, pos);
    pos += name.length;
    buf.set(open, pos);
    this.pos = putValue(buf, pos + open.length, value);
  }

  /** Ends the current chunk and returns every chunk not yet taken. */
  finish(): Uint8Array<ArrayBuffer>[] {
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(0);
    this.pos = 0;
    return this.full.splice(0);
  }
}

/** The bytes that open a sample's labels: `{a="x"} `, or a space without labels. */
function openBytes(labels: string): Uint8Array {
  return ENCODER.encode(labels === "" ? " " : `{${labels}} `);
}

/** One labelled counter or gauge. */
export class Scalar {
  /** The current value. */
  value = 0;
  /** `{labels} ` (or a space), encoded once. */
  readonly open: Uint8Array;

  /** Builds a child with its encoded labels. */
  constructor(open: Uint8Array) {
    this.open = open;
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

/** The first bucket whose upper bound is ≥ value (le is inclusive); `bounds.length` for `+Inf`. */
export function bucketIndex(bounds: Float64Array, value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One labelled histogram with fixed upper bounds. */
export class Histogram {
  /** `{labels} ` (or a space), encoded once. */
  readonly open: Uint8Array;
  /** `name_bucket{labels,le="`, encoded once: the start of every bucket line. */
  readonly bucketPrefix: Uint8Array;
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of observations. */
  sum = 0;
  /** Number of observations. */
  count = 0;
  readonly #bounds: Float64Array;

  /** Builds a child over `bounds` (ascending, finite). */
  constructor(open: Uint8Array, bucketPrefix: Uint8Array, bounds: Float64Array) {
    this.open = open;
    this.bucketPrefix = bucketPrefix;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation. */
  observe(value: number): void {
    this.counts[bucketIndex(this.#bounds, value)]!++;
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

/** A table's rows and their values as they were at one instant. */
export interface TableSnapshot {
  /** The rows, in order. */
  readonly rows: readonly Row[];
  /** Row i's values start at i × width. */
  readonly values: Float64Array;
  /** Values per row. */
  readonly width: number;
}

/**
 * Every table's snapshot for one scrape, taken once and shared by the
 * table's families: a scrape streams over several event-loop turns while
 * probes keep completing, and its samples must still be one instant's (a
 * target's requests and replies from the same moment, each series once).
 */
export class TableSnapshots {
  readonly #snapshots = new Map<Table, TableSnapshot>();

  /** The snapshot of `table`, taken on first use. */
  of(table: Table): TableSnapshot {
    let snapshot = this.#snapshots.get(table);
    if (snapshot === undefined) this.#snapshots.set(table, snapshot = table.snapshot());
    return snapshot;
  }
}

/** Writes one family's part of a scrape, yielding whenever full chunks are waiting. */
export type FamilyWriter = (out: ChunkWriter) => Generator<void, void, undefined>;

/** Something the registry writes out: a family's header and samples. */
export interface Renderable {
  /** Full sample name (counters end in `_total`). */
  readonly name: string;
  /**
   * Fixes what this family writes in a scrape that begins now.
   *
   * @param format The exposition format.
   * @param tables The scrape's table snapshots.
   * @returns The writer of the family's part.
   */
  begin(format: ExpositionFormat, tables: TableSnapshots): FamilyWriter;
}

/** A family's fixed byte strings, encoded once. */
class FamilyBytes {
  readonly header: Uint8Array;
  readonly headerOpenMetrics: Uint8Array;
  readonly name: Uint8Array;
  readonly sum: Uint8Array;
  readonly count: Uint8Array;
  /** `x"} ` per bound and `+Inf`: what follows a bucket prefix. */
  readonly le: Uint8Array[];
  /** Room one histogram child's lines need besides its label bytes, times (buckets + 2). */
  readonly histogramLineRoom: number;

  constructor(name: string, help: string, type: MetricType, bounds: Float64Array) {
    if (type === "counter" && !name.endsWith("_total")) {
      throw new RangeError(`Cannot register ${name}: a counter's name must end in _total`);
    }
    // OpenMetrics names a counter family without its `_total` suffix.
    const omName = type === "counter" ? name.slice(0, -"_total".length) : name;
    const header = (n: string) => ENCODER.encode(`# HELP ${n} ${help}\n# TYPE ${n} ${type}\n`);
    this.header = header(name);
    this.headerOpenMetrics = header(omName);
    this.name = ENCODER.encode(name);
    this.sum = ENCODER.encode(`${name}_sum`);
    this.count = ENCODER.encode(`${name}_count`);
    this.le = [...[...bounds].map(formatValue), "+Inf"].map((le) => ENCODER.encode(`${le}"} `));
    this.histogramLineRoom = Math.max(this.count.length, ...this.le.map((le) => le.length)) + MAX_VALUE_BYTES;
  }

  headerFor(format: ExpositionFormat): Uint8Array {
    return format === "openmetrics" ? this.headerOpenMetrics : this.header;
  }
}

/** `name_bucket{labels,le="`: what every bucket line of one histogram child starts with. */
function bucketPrefixBytes(name: string, labels: string): Uint8Array {
  return ENCODER.encode(`${name}_bucket{${labels === "" ? "" : `${labels},`}le="`);
}

/**
 * Writes one histogram child: its cumulative buckets, sum and count. The
 * room for all of its lines is reserved at once, so the lines are written
 * without a check each.
 */
function putHistogram(
  out: ChunkWriter,
  b: FamilyBytes,
  open: Uint8Array,
  bucketPrefix: Uint8Array,
  counts: ArrayLike<number>,
  first: number,
  sum: number,
  count: number,
): void {
  const le = b.le;
  out.room((le.length + 2) * (bucketPrefix.length + b.histogramLineRoom + open.length));
  const buf = out.buf;
  let pos = out.pos;
  let cumulative = 0;
  const last = le.length - 1;
  for (let i = 0; i < last; i++) {
    cumulative += counts[first + i]!;
    buf.set(bucketPrefix, pos);
    pos += bucketPrefix.length;
    const bound = le[i]!;
    buf.set(bound, pos);
    pos = putValue(buf, pos + bound.length, cumulative);
  }
  buf.set(bucketPrefix, pos);
  pos += bucketPrefix.length;
  buf.set(le[last]!, pos);
  pos = putValue(buf, pos + le[last]!.length, count);
  buf.set(b.sum, pos);
  pos += b.sum.length;
  buf.set(open, pos);
  pos = putValue(buf, pos + open.length, sum);
  buf.set(b.count, pos);
  pos += b.count.length;
  buf.set(open, pos);
  out.pos = putValue(buf, pos + open.length, count);
}

/** A metric family: a name, help, type and labelled children, each its own object. */
export class Family<T extends Scalar | Histogram = Scalar | Histogram> implements Renderable {
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
    this.#bounds = Float64Array.from(options.buckets ?? []);
    this.#bytes = new FamilyBytes(name, help, type, this.#bounds);
    this.name = name;
    this.help = help;
    this.type = type;
    this.labelNames = options.labelNames ?? [];
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
      const labels = labelText(this.labelNames, values);
      child = (this.type === "histogram"
        ? new Histogram(openBytes(labels), bucketPrefixBytes(this.name, labels), this.#bounds)
        : new Scalar(openBytes(labels))) as T;
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

  /** Writes the family now (it is small): the scrape then copies these bytes. */
  begin(format: ExpositionFormat): FamilyWriter {
    const now = new ChunkWriter(SMALL_CHUNK_BYTES);
    this.#write(now, format);
    const chunks = now.finish();
    return function* (out) {
      for (const chunk of chunks) {
        out.bytes(chunk);
        if (out.full.length > 0) yield;
      }
    };
  }

  #write(out: ChunkWriter, format: ExpositionFormat): void {
    const b = this.#bytes;
    out.bytes(b.headerFor(format));
    for (const child of this.#children.values()) {
      if (child instanceof Histogram) {
        putHistogram(out, b, child.open, child.bucketPrefix, child.counts, 0, child.sum, child.count);
      } else out.line(b.name, child.open, child.value);
    }
  }
}

/**
 * One row of a {@linkcode Table}: the values of every column for one label
 * set, and that label set's bytes.
 */
export class Row {
  /** The label values, in the table's label order. */
  readonly labelValues: readonly string[];
  /** `{labels} `, encoded once. */
  readonly open: Uint8Array;
  /** `name_bucket{labels,le="` of the table's histogram, encoded once; empty without one. */
  readonly bucketPrefix: Uint8Array;
  /** The columns' values: the table's scalar columns, then its histogram's sum, count and buckets. */
  readonly values: Float64Array;

  /** Builds a zeroed row (use {@linkcode Table.add}). */
  constructor(labelValues: readonly string[], open: Uint8Array, bucketPrefix: Uint8Array, width: number) {
    this.labelValues = labelValues;
    this.open = open;
    this.bucketPrefix = bucketPrefix;
    this.values = new Float64Array(width);
  }
}

/** Options of {@linkcode Table}. */
export interface TableOptions {
  /** Label names, in output order. */
  labelNames: readonly string[];
  /** How many scalar columns each row has. */
  columns: number;
  /** The table's one histogram: its sample name and upper bounds (ascending). */
  histogram?: { name: string; buckets: readonly number[] };
}

/**
 * Rows of values that share their labels across several families (the
 * per-target series): the families are views of one column each
 * ({@linkcode ColumnFamily}) or of the histogram's columns
 * ({@linkcode TableHistogram}), and render the rows in the order they were
 * added.
 */
export class Table {
  /** Label names, in output order. */
  readonly labelNames: readonly string[];
  /** Upper bounds of the histogram; empty without one. */
  readonly bounds: Float64Array;
  /** Column of the histogram's sum; its count follows, then one column per bucket and `+Inf`. */
  readonly histogramAt: number;
  readonly #histogramName: string | undefined;
  readonly #width: number;
  readonly #rows = new Set<Row>();
  #snapshot: Row[] | null = null;

  /** Builds an empty table. */
  constructor(options: TableOptions) {
    this.labelNames = options.labelNames;
    this.bounds = Float64Array.from(options.histogram?.buckets ?? []);
    this.histogramAt = options.columns;
    this.#histogramName = options.histogram?.name;
    this.#width = options.columns + (options.histogram === undefined ? 0 : 2 + this.bounds.length + 1);
  }

  /**
   * A new zeroed row for these label values, rendered after the rows already there.
   *
   * @param values One value per label name.
   * @returns The row.
   */
  add(values: readonly string[]): Row {
    const labels = labelText(this.labelNames, values);
    const bucketPrefix = this.#histogramName === undefined
      ? new Uint8Array(0)
      : bucketPrefixBytes(this.#histogramName, labels);
    const row = new Row(values, openBytes(labels), bucketPrefix, this.#width);
    this.#rows.add(row);
    this.#snapshot = null;
    return row;
  }

  /** Drops a row from every family of the table. */
  delete(row: Row): void {
    if (this.#rows.delete(row)) this.#snapshot = null;
  }

  /** How many rows there are. */
  get size(): number {
    return this.#rows.size;
  }

  /**
   * The rows as an array that never changes once handed out (a change makes
   * the next call build a new one), so a scrape that streams over several
   * event-loop turns writes each row once even if targets come and go.
   */
  rows(): readonly Row[] {
    return this.#snapshot ??= [...this.#rows];
  }

  /**
   * The rows and a copy of their values, as they are now.
   *
   * @returns The snapshot.
   */
  snapshot(): TableSnapshot {
    const rows = this.rows();
    const width = this.#width;
    const values = new Float64Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) values.set(rows[i]!.values, i * width);
    return { rows, values, width };
  }

  /**
   * Counts one observation in a row's histogram.
   *
   * @param row The row.
   * @param value The observed value.
   */
  observe(row: Row, value: number): void {
    const v = row.values;
    const at = this.histogramAt;
    v[at] = v[at]! + value;
    v[at + 1]!++;
    v[at + 2 + bucketIndex(this.bounds, value)]!++;
  }
}

/** A counter or gauge family whose children are one column of a {@linkcode Table}'s rows. */
export class ColumnFamily implements Renderable {
  /** Full sample name (counters end in `_total`). */
  readonly name: string;
  /** The table whose column this is. */
  readonly table: Table;
  readonly #column: number;
  readonly #bytes: FamilyBytes;

  /** A view of `column` of `table`. */
  constructor(name: string, help: string, type: "counter" | "gauge", table: Table, column: number) {
    this.#bytes = new FamilyBytes(name, help, type, new Float64Array(0));
    this.name = name;
    this.table = table;
    this.#column = column;
  }

  /** Writes the column's values as of the scrape's snapshot. */
  begin(format: ExpositionFormat, tables: TableSnapshots): FamilyWriter {
    const b = this.#bytes;
    const { rows, values, width } = tables.of(this.table);
    const column = this.#column;
    return function* (out) {
      out.bytes(b.headerFor(format));
      for (let i = 0; i < rows.length; i++) {
        out.line(b.name, rows[i]!.open, values[i * width + column]!);
        if (out.full.length > 0) yield;
      }
    };
  }
}

/** The histogram family of a {@linkcode Table}. */
export class TableHistogram implements Renderable {
  /** Sample name. */
  readonly name: string;
  /** The table whose histogram this is. */
  readonly table: Table;
  readonly #bytes: FamilyBytes;

  /** A view of `table`'s histogram columns, named `name` (the table's histogram name). */
  constructor(name: string, help: string, table: Table) {
    this.#bytes = new FamilyBytes(name, help, "histogram", table.bounds);
    this.name = name;
    this.table = table;
  }

  /** Writes the histograms as of the scrape's snapshot. */
  begin(format: ExpositionFormat, tables: TableSnapshots): FamilyWriter {
    const b = this.#bytes;
    const { rows, values, width } = tables.of(this.table);
    const at = this.table.histogramAt;
    return function* (out) {
      out.bytes(b.headerFor(format));
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const v = i * width + at;
        putHistogram(out, b, row.open, row.bucketPrefix, values, v + 2, values[v]!, values[v + 1]!);
        if (out.full.length > 0) yield;
      }
    };
  }
}

/** An ordered set of families rendered together. */
export class Registry {
  readonly #families: Renderable[] = [];

  /** Adds a family and returns it. */
  add<T extends Renderable>(family: T): T {
    if (this.#families.some((f) => f.name === family.name)) {
      throw new RangeError(`Cannot register ${family.name}: the name is taken`);
    }
    this.#families.push(family);
    return family;
  }

  /**
   * The exposition in chunks, written as they are pulled: a consumer that
   * sends each chunk before pulling the next never holds the whole body.
   *
   * @param format `"prometheus"` (text 0.0.4) or `"openmetrics"` (ends in `# EOF`).
   * @returns The chunks, in order.
   */
  chunks(format: ExpositionFormat): Generator<Uint8Array<ArrayBuffer>, void, undefined> {
    // Every value is fixed now, not as the chunks are pulled.
    const tables = new TableSnapshots();
    return this.#write(format, this.#families.map((family) => family.begin(format, tables)));
  }

  *#write(format: ExpositionFormat, writers: FamilyWriter[]): Generator<Uint8Array<ArrayBuffer>, void, undefined> {
    const out = new ChunkWriter();
    for (const write of writers) {
      for (const _ of write(out)) yield* out.full.splice(0);
    }
    if (format === "openmetrics") out.ascii("# EOF\n");
    yield* out.finish();
  }

  /**
   * The exposition as one stream of chunks, for a response body.
   *
   * @param format As for {@linkcode Registry.chunks}.
   * @returns A stream that writes the next chunk when the last one was read.
   */
  stream(format: ExpositionFormat): ReadableStream<Uint8Array<ArrayBuffer>> {
    const chunks = this.chunks(format);
    return new ReadableStream({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        chunks.return();
      },
    });
  }

  /**
   * The whole exposition as bytes.
   *
   * @param format As for {@linkcode Registry.chunks}.
   * @returns The body.
   */
  renderBytes(format: ExpositionFormat): Uint8Array<ArrayBuffer> {
    const chunks = [...this.chunks(format)];
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let pos = 0;
    for (const chunk of chunks) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
    return out;
  }

  /**
   * The whole exposition as text.
   *
   * @param format As for {@linkcode Registry.chunks}.
   * @returns The body.
   */
  render(format: ExpositionFormat): string {
    return DECODER.decode(this.renderBytes(format));
  }
}
