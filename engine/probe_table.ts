/**
 * A socket's outstanding probes by key: the part of `Map`'s interface the engine uses (`get`, `set`, `has`,
 * `delete`, `size`, `clear`), over typed storage. A `Map` with one insert and one delete per probe rebuilt its hash
 * table as deleted entries piled up (~100 B of garbage per probe), and boxed every raw-socket key above 2³¹.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones), Fibonacci hashing of the key, and
 * at most three quarters of the slots in use: the keys a socket hands out are consecutive, which Fibonacci hashing
 * spreads evenly, and a flood keeps its answered probes (20,000 of them) until their deadline, so each doubling of the
 * table costs.
 *
 * @module
 */

/** An empty slot's key: keys are integers from 0 to 2³² − 1. */
const FREE = -1;
/** Slots a table starts with. */
const INITIAL_CAPACITY = 64;
/** 2³² / φ, odd: Fibonacci hashing spreads consecutive keys over the table. */
const GOLDEN = 0x9e3779b1;

/**
 * Probes (or anything) by a non-negative integer key below 2³².
 *
 * @example Keep and find values by key
 * ```ts
 * import { ProbeTable } from "./probe_table.ts";
 * import { equal } from "node:assert/strict";
 *
 * const table = new ProbeTable<string>();
 * table.set(0xfffe_0001, "a").set(7, "b");
 * equal(table.get(0xfffe_0001), "a");
 * equal(table.delete(7), true);
 * equal(table.size, 1);
 * ```
 */
export class ProbeTable<V> {
  #keys = new Float64Array(INITIAL_CAPACITY).fill(FREE);
  #values: (V | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  #mask = INITIAL_CAPACITY - 1;
  /** 32 − log2(capacity): the hash is the top bits of the product. */
  #shift = 32 - Math.log2(INITIAL_CAPACITY);
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  #home(key: number): number {
    return Math.imul(key | 0, GOLDEN) >>> this.#shift;
  }

  /** The slot holding `key`, or the free slot where it would go. */
  #slot(key: number): number {
    const keys = this.#keys;
    let i = this.#home(key);
    while (keys[i] !== FREE && keys[i] !== key) i = (i + 1) & this.#mask;
    return i;
  }

  /**
   * The value of `key`, if any.
   *
   * @param key The key; anything but an integer from 0 to 2³² − 1 finds nothing.
   * @returns The value, or `undefined`.
   */
  get(key: number): V | undefined {
    if (!(key >= 0)) return undefined;
    const i = this.#slot(key);
    return this.#keys[i] === key ? this.#values[i] : undefined;
  }

  /**
   * Whether `key` has a value.
   *
   * @param key The key.
   * @returns Whether it is held.
   */
  has(key: number): boolean {
    return key >= 0 && this.#keys[this.#slot(key)] === key;
  }

  /**
   * Sets the value of `key`.
   *
   * @param key An integer from 0 to 2³² − 1.
   * @param value The value.
   * @returns The table.
   */
  set(key: number, value: V): this {
    let i = this.#slot(key);
    if (this.#keys[i] !== key) {
      if (4 * (this.#size + 1) > 3 * this.#keys.length) {
        this.#grow();
        i = this.#slot(key);
      }
      this.#keys[i] = key;
      this.#size++;
    }
    this.#values[i] = value;
    return this;
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns Whether it was held.
   */
  delete(key: number): boolean {
    if (!(key >= 0)) return false;
    const keys = this.#keys;
    const values = this.#values;
    const mask = this.#mask;
    let hole = this.#slot(key);
    if (keys[hole] !== key) return false;
    // Backward shift: each later entry of the run that may move into the hole (its home is not cyclically within
    // (hole, j]) does, so that every lookup still finds its key before a free slot.
    for (let j = (hole + 1) & mask; keys[j] !== FREE; j = (j + 1) & mask) {
      const home = this.#home(keys[j]);
      const stays = hole < j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      keys[hole] = keys[j];
      values[hole] = values[j];
      hole = j;
    }
    keys[hole] = FREE;
    values[hole] = undefined;
    this.#size--;
    return true;
  }

  /** Removes every entry, and gives back the room a large window took. */
  clear(): void {
    this.#keys = new Float64Array(INITIAL_CAPACITY).fill(FREE);
    this.#values = new Array(INITIAL_CAPACITY).fill(undefined);
    this.#mask = INITIAL_CAPACITY - 1;
    this.#shift = 32 - Math.log2(INITIAL_CAPACITY);
    this.#size = 0;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const capacity = 2 * keys.length;
    this.#keys = new Float64Array(capacity).fill(FREE);
    this.#values = new Array(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#shift--;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === FREE) continue;
      const slot = this.#slot(keys[i]);
      this.#keys[slot] = keys[i];
      this.#values[slot] = values[i];
    }
  }
}
