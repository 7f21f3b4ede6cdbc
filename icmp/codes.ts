/**
 * Human-readable texts for ICMP error type/code pairs, from RFC 792 (with the Destination Unreachable codes 6–15
 * added by RFC 1122 and RFC 1812) and RFC 4443 (with the later ICMPv6 codes registered by IANA).
 *
 * @module
 */

import { ICMP4, ICMP6 } from "./constants.ts";

type CodeTable = Readonly<Record<number, string>>;
type TypeTable = Readonly<Record<number, { name: string; codes: CodeTable }>>;

const ICMP4_ERRORS: TypeTable = {
  [ICMP4.DEST_UNREACH]: {
    name: "Destination Unreachable",
    codes: {
      0: "Destination Net Unreachable",
      1: "Destination Host Unreachable",
      2: "Destination Protocol Unreachable",
      3: "Destination Port Unreachable",
      4: "Fragmentation Needed and Don't Fragment was Set",
      5: "Source Route Failed",
      6: "Destination Network Unknown",
      7: "Destination Host Unknown",
      8: "Source Host Isolated",
      9: "Communication with Destination Network is Administratively Prohibited",
      10: "Communication with Destination Host is Administratively Prohibited",
      11: "Destination Network Unreachable for Type of Service",
      12: "Destination Host Unreachable for Type of Service",
      13: "Communication Administratively Prohibited",
      14: "Host Precedence Violation",
      15: "Precedence Cutoff in Effect",
    },
  },
  [ICMP4.SOURCE_QUENCH]: {
    name: "Source Quench",
    codes: { 0: "Source Quench" },
  },
  [ICMP4.REDIRECT]: {
    name: "Redirect",
    codes: {
      0: "Redirect Datagram for the Network",
      1: "Redirect Datagram for the Host",
      2: "Redirect Datagram for the Type of Service and Network",
      3: "Redirect Datagram for the Type of Service and Host",
    },
  },
  [ICMP4.TIME_EXCEEDED]: {
    name: "Time Exceeded",
    codes: {
      0: "Time to live exceeded",
      1: "Fragment reassembly time exceeded",
    },
  },
  [ICMP4.PARAM_PROBLEM]: {
    name: "Parameter Problem",
    codes: {
      0: "Pointer indicates the error",
      1: "Missing a required option",
      2: "Bad length",
    },
  },
};

const ICMP6_ERRORS: TypeTable = {
  [ICMP6.DEST_UNREACH]: {
    name: "Destination Unreachable",
    codes: {
      0: "No route to destination",
      1: "Communication with destination administratively prohibited",
      2: "Beyond scope of source address",
      3: "Address unreachable",
      4: "Port unreachable",
      5: "Source address failed ingress/egress policy",
      6: "Reject route to destination",
      7: "Error in Source Routing Header",
      8: "Headers too long",
    },
  },
  [ICMP6.PACKET_TOO_BIG]: {
    name: "Packet Too Big",
    codes: { 0: "Packet too big" },
  },
  [ICMP6.TIME_EXCEEDED]: {
    name: "Time Exceeded",
    codes: {
      0: "Hop limit exceeded in transit",
      1: "Fragment reassembly time exceeded",
    },
  },
  [ICMP6.PARAM_PROBLEM]: {
    name: "Parameter Problem",
    codes: {
      0: "Erroneous header field encountered",
      1: "Unrecognized Next Header type encountered",
      2: "Unrecognized IPv6 option encountered",
      3: "IPv6 First Fragment has incomplete IPv6 Header Chain",
    },
  },
};

/**
 * Human text for an ICMP error type/code from the full RFC 792 (+ RFC 1122/1812 codes 6–15) and RFC 4443 tables,
 * e.g. (4,3,1) "Destination Host Unreachable", (4,3,13) "Communication Administratively Prohibited", (4,11,0)
 * "Time to live exceeded", (6,1,1) "Communication with destination administratively prohibited", (6,1,0) "No
 * route to destination", (6,3,0) "Hop limit exceeded in transit". Unknown codes give a generic but informative
 * text including the numbers, never throw.
 *
 * @param family 4 for ICMPv4, 6 for ICMPv6; any other value gives the generic text.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The description.
 *
 * @example
 * ```ts
 * import { describeIcmpError } from "./codes.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(describeIcmpError(4, 3, 13), "Communication Administratively Prohibited");
 * equal(describeIcmpError(6, 3, 0), "Hop limit exceeded in transit");
 * equal(describeIcmpError(4, 3, 99), "Destination Unreachable (ICMPv4 type 3, unknown code 99)");
 * ```
 */
export function describeIcmpError(
  family: 4 | 6,
  type: number,
  code: number,
): string {
  // String() rather than bare interpolation so that even a symbol smuggled past the types cannot throw.
  const [t, c, f] = [String(type), String(code), String(family)];
  const version = family === 6 ? "ICMPv6" : family === 4 ? "ICMPv4" : `ICMP (IPv${f})`;
  const table = family === 4 ? ICMP4_ERRORS : family === 6 ? ICMP6_ERRORS : undefined;
  // Own properties only: a type or code such as "constructor" must not pick up Object.prototype members.
  const entry = table !== undefined && Object.hasOwn(table, type) ? table[type] : undefined;
  if (entry === undefined) {
    return `Unknown ${version} error (type ${t}, code ${c})`;
  }
  if (Object.hasOwn(entry.codes, code)) return entry.codes[code];
  return `${entry.name} (${version} type ${t}, unknown code ${c})`;
}
