/**
 * A running tally of probe outcomes, for the Ctrl-\ status line and fping mode's progress line: counts and the
 * min / mean / max so far, in constant memory.
 *
 * @module
 */
import type { ProbeEvent } from "../ping.ts";
import { formatLoss, formatMs } from "./format.ts";

/** Counts probe outcomes as they come. */
export class RunningTally {
  /** Probes whose outcome is known (reply, timeout or error). */
  settled = 0;
  /** Replies. */
  received = 0;
  #min = Infinity;
  #max = -Infinity;
  #sum = 0;

  /** Counts one event; duplicates count nothing. */
  add(event: ProbeEvent): void {
    if (event.type === "duplicate") return;
    this.settled++;
    if (event.type !== "reply") return;
    this.received++;
    this.#sum += event.rtt;
    this.#min = Math.min(this.#min, event.rtt);
    this.#max = Math.max(this.#max, event.rtt);
  }

  /**
   * iputils' SIGQUIT line: `3/4 packets, 25% loss, min/avg/max = 0.031/0.040/0.052 ms`. The packets counted are
   * those whose outcome is known; a probe still in flight is neither received nor lost yet.
   */
  statusLine(): string {
    const loss = this.settled === 0 ? 0 : ((this.settled - this.received) / this.settled) * 100;
    const counts = `${this.received}/${this.settled} packets, ${formatLoss(loss)}% loss`;
    if (this.received === 0) return counts;
    const figures = [this.#min, this.#sum / this.received, this.#max].map(formatMs).join("/");
    return `${counts}, min/avg/max = ${figures} ms`;
  }
}
