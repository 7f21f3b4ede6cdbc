import fc from "fast-check";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import {
  asciiHostname,
  cachedLiteral,
  describeTarget,
  parseLiteral,
  Resolver,
  resolveTarget,
} from "../engine/target.ts";
import { formatAddress, parseAddress } from "../icmp/mod.ts";
import type { SocketAddress } from "../ffi/sockaddr.ts";
import { toSocketAddress } from "../ffi/sockaddr.ts";
import { gate } from "./support/gate.ts";

const text = (address: SocketAddress) => formatAddress(address.address);

Deno.test("parseLiteral() parses IPv4 and IPv6 literals without the resolver", () => {
  equal(text(parseLiteral("198.18.0.1")!), "198.18.0.1");
  equal(parseLiteral("198.18.0.1")!.sockaddr.length, 16);
  equal(text(parseLiteral("fd00::1")!), "fd00::1");
  equal(parseLiteral("fd00::1")!.sockaddr.length, 28);
});

Deno.test("parseLiteral() leaves names, zones and short IPv4 forms to getaddrinfo", () => {
  equal(parseLiteral("localhost"), null);
  equal(parseLiteral("fe80::1%lo"), null);
  equal(parseLiteral("127.1"), null);
  equal(parseLiteral("0"), null);
});

Deno.test("resolveTarget() rejects a host with a NUL inside, naming the option", async () => {
  await rejects(
    resolveTarget("127.0.0.1\u0000.allowed.example"),
    (error: Error) => error instanceof TypeError && /host must not contain a NUL/.test(error.message),
  );
});

Deno.test("resolveTarget() probes loopback for the unspecified address, as the kernel answers from there", async () => {
  equal(text(await resolveTarget("0.0.0.0")), "127.0.0.1");
  equal(text(await resolveTarget("0")), "127.0.0.1");
  equal(text(await resolveTarget("::")), "::1");
});

Deno.test("resolveTarget() reports a literal of the other family as not found", async () => {
  await rejects(resolveTarget("198.18.0.1", 6), Deno.errors.NotFound);
  await rejects(resolveTarget("fd00::1", 4), Deno.errors.NotFound);
});

Deno.test("resolveTarget() resolves short IPv4 forms through getaddrinfo", async () => {
  equal(text(await resolveTarget("127.1")), "127.0.0.1");
});

Deno.test("Resolver looks each name up once and literals never", async () => {
  const asked: string[] = [];
  const resolver = new Resolver({}, (host) => {
    asked.push(host);
    return Promise.resolve(toSocketAddress(new Uint8Array([198, 18, 0, 9])));
  });
  const answers = await Promise.all(
    ["a.example", "198.18.0.1", "a.example", "b.example", "fd00::2", "a.example"].map((host) => resolver.resolve(host)),
  );
  deepEqual(answers.map(text), ["198.18.0.9", "198.18.0.1", "198.18.0.9", "198.18.0.9", "fd00::2", "198.18.0.9"]);
  deepEqual(asked, ["a.example", "b.example"]);
});

Deno.test("Resolver keeps at most `concurrency` lookups in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  const resolver = new Resolver({ concurrency: 3 }, async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return toSocketAddress(new Uint8Array([198, 18, 0, 9]));
  });
  await Promise.all(Array.from({ length: 20 }, (_, i) => resolver.resolve(`host${i}.example`)));
  equal(peak, 3);
});

Deno.test("Resolver turns a bad host into a rejected promise, not a throw", async () => {
  const resolver = new Resolver();
  const answer = resolver.resolve("a\u0000b");
  ok(answer instanceof Promise);
  await rejects(answer, TypeError);
  throws(() => new Resolver({ concurrency: 0 }), RangeError);
});

// Internationalised names are looked up in punycode (AI_IDN), as iputils does. The hosts file is replaced inside a
// private mount namespace of a child process, so no real DNS and no file of the machine's is involved.
const root = Deno.uid() === 0 ? null : "not root: a private mount namespace needs CAP_SYS_ADMIN";
Deno.test({
  name: "resolveTarget() resolves an internationalised name through its punycode form",
  ignore: gate(root),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "miniping-idn-" });
    try {
      const hosts = `${dir}/hosts`;
      await Deno.writeTextFile(hosts, "198.18.0.77 xn--e1afmkfd.xn--p1ai\n");
      const script = `${dir}/resolve.ts`;
      const module = new URL("../engine/target.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { resolveTarget } from ${JSON.stringify(module)};\n` +
          `const a = await resolveTarget("пример.рф");\nconsole.log([...a.address].join("."));\n`,
      );
      const { code, stdout, stderr } = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "sh",
          "-c",
          `mount --bind "$1" /etc/hosts && exec "$2" run --allow-ffi "$3"`,
          "sh",
          hosts,
          Deno.execPath(),
          script,
        ],
      }).output();
      const out = new TextDecoder().decode(stdout).trim();
      equal(code, 0, new TextDecoder().decode(stderr));
      equal(out, "198.18.0.77");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("asciiHostname() gives the punycode form of internationalised names only", () => {
  equal(asciiHostname("пример.рф"), "xn--e1afmkfd.xn--p1ai");
  equal(asciiHostname("Bücher.example"), "xn--bcher-kva.example");
  equal(asciiHostname("Example.COM"), "Example.COM");
  equal(asciiHostname("bad/пример"), "bad/пример");
});

Deno.test("parseLiteral() reads dotted quads exactly as parseAddress() and toSocketAddress() do", () => {
  const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
  const noise = fc.stringOf(fc.constantFrom("0", "1", "2", "5", "9", ".", "a", ":", " "), { maxLength: 17 });
  fc.assert(fc.property(fc.oneof(quad, noise), (host) => {
    const bytes = parseAddress(host);
    const expected = bytes === null ? null : toSocketAddress(bytes);
    const got = parseLiteral(host);
    deepEqual(
      got === null ? null : [got.family, [...got.address], [...got.sockaddr]],
      expected === null ? null : [
        expected.family,
        [...expected.address],
        [...expected.sockaddr],
      ],
    );
  }));
});

Deno.test("cachedLiteral() keeps a literal from its second use, with the same answer each time", () => {
  for (const host of ["198.18.77.1", "fd00::77", "255.255.255.254"]) {
    const first = cachedLiteral(host)!;
    const second = cachedLiteral(host)!;
    const third = cachedLiteral(host)!;
    ok(first !== second, `${host}: the first use is not kept`);
    equal(third, second, `${host}: the second use is`);
    for (const entry of [first, second]) {
      equal(entry.address, describeTarget(parseLiteral(host)!));
      deepEqual([...entry.destination.sockaddr], [...parseLiteral(host)!.sockaddr]);
    }
  }
  equal(cachedLiteral("0.0.0.0"), null);
  equal(cachedLiteral("example.org"), null);
});

Deno.test("parseLiteral() gives every dotted quad its own socket address bytes", () => {
  // Socket addresses share buffers: writing one must not show in another.
  const a = parseLiteral("198.18.0.1")!;
  const b = parseLiteral("198.18.0.2")!;
  deepEqual([...a.address], [198, 18, 0, 1]);
  deepEqual([...b.address], [198, 18, 0, 2]);
  equal(a.sockaddr.length, 16);
  equal(a.sockaddr.byteOffset + 16 <= b.sockaddr.byteOffset || a.sockaddr.buffer !== b.sockaddr.buffer, true);
});
