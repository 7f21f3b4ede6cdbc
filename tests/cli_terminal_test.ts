/**
 * The command on a pseudo-terminal and in a shell pipeline: Ctrl-\ prints a status line and the run goes on,
 * Ctrl-C then ends it with the summary; `miniping … | head -2` ends the run at once. Loopback only.
 */
import { equal, match, ok } from "node:assert/strict";
import { inCI } from "./support/gate.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

const loopback = await succeeds(Deno.execPath(), ["run", "--allow-ffi", CLI, "-c", "1", "-q", "127.0.0.1"]);
const python = await succeeds("python3", ["-c", "import pty"]);
if (!loopback && inCI) throw new Error("Loopback ICMP is required under CI=true");

/**
 * Runs the CLI on a pty through python3: waits for `replies` reply lines, types Ctrl-\, waits for `more` further
 * replies, types Ctrl-C, and returns the whole terminal transcript and the exit status.
 */
const DRIVER = `
import os, pty, sys, time, select
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
buf = b""
def read_until(pred, limit):
    global buf
    end = time.time() + limit
    while not pred(buf):
        if time.time() > end:
            raise SystemExit("timed out; got " + repr(buf))
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
replies = lambda b: b.count(b" bytes from ")
read_until(lambda b: replies(b) >= 3, 20)
os.write(fd, b"\\x1c")
read_until(lambda b: b" packets, " in b, 10)
after = replies(buf)
read_until(lambda b: replies(b) >= after + 3, 10)
os.write(fd, b"\\x03")
read_until(lambda b: b"ping statistics" in b and b"rtt " in b, 10)
read_until(lambda b: False, 2)
_, status = os.waitpid(pid, 0)
sys.stdout.write(buf.decode())
sys.stdout.write("\\nEXIT %d\\n" % os.waitstatus_to_exitcode(status))
`;

Deno.test({
  name: "Ctrl-\\ on a terminal prints a status line and the run goes on; Ctrl-C then prints the summary, status 0",
  ignore: !loopback || !python,
  fn: async () => {
    const output = await new Deno.Command("python3", {
      args: ["-c", DRIVER, Deno.execPath(), "run", "--allow-ffi", CLI, "-c", "inf", "-i", "0.05", "127.0.0.1"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const transcript = new TextDecoder().decode(output.stdout).replaceAll("\r\n", "\n");
    equal(output.code, 0, new TextDecoder().decode(output.stderr));
    // The terminal echoes the key as "^\\" before the line.
    match(
      transcript,
      /^(\^\\)?\d+\/\d+ packets, \d+(\.\d+)?% loss, min\/avg\/max = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/m,
    );
    const status = transcript.search(/ packets, /);
    const summary = transcript.indexOf("ping statistics");
    const between = transcript.slice(status, summary).match(/ bytes from /g)?.length ?? 0;
    ok(between >= 3, `replies after the status line: ${between}`);
    match(transcript, /\nEXIT 0\n$/);
  },
});

Deno.test({
  name: "miniping … | head -2 ends the run at once in human mode",
  ignore: !loopback,
  fn: async () => {
    const started = performance.now();
    const output = await new Deno.Command("bash", {
      args: [
        "-c",
        `set -o pipefail; "$0" run --allow-ffi "$1" -c 1000 -i 0.01 127.0.0.1 | head -2; echo "status $?"`,
        Deno.execPath(),
        CLI,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const elapsed = performance.now() - started;
    const text = new TextDecoder().decode(output.stdout);
    const lines = text.trimEnd().split("\n");
    equal(lines.length, 3, text);
    match(lines[0], /^PING 127\.0\.0\.1 /);
    match(lines[1], / bytes from 127\.0\.0\.1: /);
    // 1000 probes 10 ms apart would take 10 s; the run stops at the first write after head left.
    ok(elapsed < 5000, `took ${elapsed} ms`);
    equal(lines[2], "status 0");
    equal(new TextDecoder().decode(output.stderr), "", "quiet on stderr");
  },
});
