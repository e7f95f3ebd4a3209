// The CLI as users run it: bin/usersig-broker.mjs in a child process (running the dist/cli.mjs
// bundle, built once below), checked on stdout, stderr and exit code. Every run also checks that
// no secret key used in this file appears in any output, on success and on every error path.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUserSig } from "../../src/usersig/index.js";
import { type Broker, startBroker } from "../e2e/broker.mjs";
import vectors from "../fixtures/vectors.json" with { type: "json" };
import { ALL_PRIVILEGE_NAMES } from "../support/privileges.mjs";
import { tokenOf } from "./tokens.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/usersig-broker.mjs", import.meta.url));

const SECRET = vectors.secretKey;
const OTHER_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SDKAPPID = String(vectors.sdkAppId);
const NOW = String(vectors.time);
const KEY_ENV = { TENCENT_SECRET_KEY: SECRET, TENCENT_SDKAPPID: SDKAPPID };
const [USERSIG_VECTOR, NUMERIC_ROOM_VECTOR, STRING_ROOM_VECTOR, MAX_ROOM_VECTOR] = vectors.sign;
const ALL_PRIVILEGES = ALL_PRIVILEGE_NAMES;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is always a pipe (empty by default), never a terminal. */
  input?: string;
  /** Strings that must appear in no output of this run besides the secrets (e.g. a token on an error path). */
  hidden?: string[];
}

async function cli(args: string[], options: RunOptions = {}): Promise<Run> {
  // A clean environment: nothing of the developer's TENCENT_* leaks in.
  const env = { PATH: process.env["PATH"] ?? "", ...options.env };
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, timeout: 20_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  // The CLI may exit without reading stdin: a broken pipe here is not an error.
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const run = { code, stdout, stderr };
  const output = stdout + stderr;
  for (const secret of [SECRET, OTHER_SECRET, ...(options.hidden ?? [])]) {
    expect(output.includes(secret), `output of \`${args.join(" ")}\` must not contain a secret`).toBe(false);
  }
  // Not even a recognizable part of a key.
  expect(output.includes(SECRET.slice(0, 12))).toBe(false);
  expect(output.includes(OTHER_SECRET.slice(0, 12))).toBe(false);
  return run;
}

function json(run: Run): Record<string, unknown> {
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function expectUsage(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(/^usersig-broker: /);
  expect(run.stderr).toMatch(pattern);
}

async function sign(userId: string, extra: string[] = [], env: Record<string, string> = KEY_ENV): Promise<string> {
  const run = await cli(["sign", "--user-id", userId, ...extra], { env });
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

// Each test spawns the CLI several times (Node starts in ~0.1 s, more on a busy machine).
const SLOW = { timeout: 60_000 };

beforeAll(() => {
  const build = spawnSync(process.execPath, ["scripts/build-cli.mjs"], { cwd: root, encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
}, 60_000);

describe.concurrent("help and version", SLOW, () => {
  it("prints the general help with every command, the environment and the exit codes", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      for (const command of ["sign", "sign-privatemapkey", "verify", "decode", "hash-api-key"]) {
        expect(run.stdout).toContain(`  ${command} `);
      }
      expect(run.stdout).toContain("TENCENT_SECRET_KEY");
      expect(run.stdout).toContain("TENCENT_SDKAPPID");
      expect(run.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {6}doctor: .*\n {2}2 .*\n {2}3 /);
    }
  });

  it("with no arguments, prints the usage on stderr and exits 2", async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^usersig-broker: sign, verify, decode and diagnose/);
    for (const command of ["doctor", "check-config", "smoke"]) expect(run.stderr).toContain(`  ${command} `);
  });

  it.each(["sign", "sign-privatemapkey", "verify", "decode", "hash-api-key", "doctor", "check-config", "smoke"])(
    "%s --help and help %s",
    async (command) => {
      const viaOption = await cli([command, "--help"]);
      expect(viaOption.code).toBe(0);
      expect(viaOption.stderr).toBe("");
      expect(viaOption.stdout).toContain(`Usage: usersig-broker ${command}`);
      expect(viaOption.stdout).toContain("Exit codes:");
      expect((await cli([command, "-h"])).stdout).toBe(viaOption.stdout);
      expect((await cli(["help", command])).stdout).toBe(viaOption.stdout);
      // Help wins over everything else on the line, and needs no key.
      expect((await cli([command, "--bogus", "--help"])).code).toBe(0);
    },
  );

  it("prints the package's version", async () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { version: string };
    const run = await cli(["--version"]);
    expect(run).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    expect(json(await cli(["--version", "--json"]))).toEqual({ version: pkg.version });
  });
});

describe.concurrent("sign", SLOW, () => {
  it("prints exactly the known-answer UserSig of Tencent's Node library", async () => {
    const run = await cli(["sign", "--user-id", "xiaojun", "--expire", "15552000", "--now", NOW], { env: KEY_ENV });
    expect(run).toEqual({ code: 0, stdout: `${USERSIG_VECTOR?.userSig}\n`, stderr: "" });
  });

  it("takes the SDKAppID from --sdkappid and the key from stdin (with one trailing newline)", async () => {
    for (const input of [SECRET, `${SECRET}\n`, `${SECRET}\r\n`]) {
      const run = await cli(
        [
          "sign",
          "--sdkappid",
          SDKAPPID,
          "--user-id",
          "xiaojun",
          "--expire",
          "15552000",
          "--now",
          NOW,
          "--secret-key-stdin",
        ],
        // The environment's key is another one: stdin, asked for explicitly, wins.
        { input, env: { TENCENT_SECRET_KEY: OTHER_SECRET } },
      );
      expect(run).toEqual({ code: 0, stdout: `${USERSIG_VECTOR?.userSig}\n`, stderr: "" });
    }
  });

  it("uses the key exactly as given otherwise: a second newline is part of it", async () => {
    const run = await cli(
      ["sign", "--user-id", "xiaojun", "--expire", "15552000", "--now", NOW, "--secret-key-stdin"],
      {
        input: `${SECRET}\n\n`,
        env: { TENCENT_SDKAPPID: SDKAPPID },
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toBe(`${USERSIG_VECTOR?.userSig}\n`);
  });

  it("--json gives the token and its times", async () => {
    const run = await cli(["sign", "--user-id", "xiaojun", "--expire", "15552000", "--now", NOW, "--json"], {
      env: KEY_ENV,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(json(run)).toEqual({
      userSig: USERSIG_VECTOR?.userSig,
      sdkAppId: vectors.sdkAppId,
      userId: "xiaojun",
      issuedAt: vectors.time,
      issuedAtIso: "2023-11-14T22:13:20Z",
      expireSeconds: 15552000,
      expiresAt: vectors.time + 15552000,
      expiresAtIso: "2024-05-12T22:13:20Z",
    });
  });

  it("accepts --expire with a unit and defaults the issue time to now", async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = json(await cli(["sign", "--user-id", "alice", "--expire", "2h", "--json"], { env: KEY_ENV }));
    const after = Math.floor(Date.now() / 1000);
    expect(out["expireSeconds"]).toBe(7200);
    expect(out["issuedAt"]).toBeGreaterThanOrEqual(before);
    expect(out["issuedAt"]).toBeLessThanOrEqual(after);
    expect(out["expiresAt"]).toBe((out["issuedAt"] as number) + 7200);
    for (const [expire, seconds] of [
      ["90s", 90],
      ["15m", 900],
      ["7d", 604800],
    ] as const) {
      expect(
        json(await cli(["sign", "--user-id", "a", "--expire", expire, "--json"], { env: KEY_ENV }))["expireSeconds"],
      ).toBe(seconds);
    }
  });

  it("refuses malformed or missing options with exit 2, naming the option", async () => {
    const base = ["sign", "--now", NOW];
    const env = KEY_ENV;
    expectUsage(await cli([...base, "--expire", "60"], { env }), /sign needs --user-id/);
    expectUsage(await cli([...base, "--user-id", "a"], { env }), /sign needs --expire/);
    for (const expire of ["0", "-5", "1.5", "1w", "abc", "", "99999999999"]) {
      expectUsage(await cli([...base, "--user-id", "a", `--expire=${expire}`], { env }), /--expire must be/);
    }
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "4294967295"], { env }),
      /the expiry \(issue time \+ --expire\) is past the 32-bit expiry limit: .* at most 4294967295/,
    );
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "4294967296"], { env }),
      /--expire is past the 32-bit expiry limit: .* at most 4294967295 \(2106-02-07T06:28:15Z\)/,
    );
    expectUsage(
      await cli([...base, "--user-id", "x".repeat(33), "--expire", "60"], { env }),
      /--user-id must be 1 to 32 bytes/,
    );
    expectUsage(await cli([...base, "--user-id", "a\nb", "--expire", "60"], { env }), /--user-id must be/);
    expectUsage(await cli([...base, "--user-id=", "--expire", "60"], { env }), /--user-id must be/);
    expectUsage(await cli([...base, "--user-id", "--expire", "60"], { env }), /--user-id needs a value/);
    expectUsage(await cli([...base, "--user-id", "a", "--expire"], { env }), /--expire needs a value/);
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "60", "--sdkappid", "0"], { env }),
      /--sdkappid must be/,
    );
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "60", "--sdkappid", "4294967296"], { env }),
      /--sdkappid/,
    );
    expectUsage(
      await cli(["sign", "--user-id", "a", "--expire", "60", "--now", "yesterday"], { env }),
      /--now must be/,
    );
    expectUsage(await cli([...base, "--user-id", "a", "--user-id", "b", "--expire", "60"], { env }), /more than once/);
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "60", "--bogus"], { env }),
      /unknown option --bogus for sign \(see/,
    );
    expectUsage(
      await cli([...base, "--user-id", "a", "--expire", "60", "--json=yes"], { env }),
      /--json takes no value/,
    );
    expectUsage(await cli([...base, "--user-id", "a", "--expire", "60", "extra"], { env }), /sign takes no arguments/);
  });

  it("reports a missing or unusable key or SDKAppID with exit 3", async () => {
    const args = ["sign", "--user-id", "a", "--expire", "60"];
    const noKey = await cli(args, { env: { TENCENT_SDKAPPID: SDKAPPID } });
    expect(noKey.code).toBe(3);
    expect(noKey.stdout).toBe("");
    expect(noKey.stderr).toMatch(/no secret key: set TENCENT_SECRET_KEY, or pass --secret-key-stdin/);
    expect((await cli(args, { env: { TENCENT_SDKAPPID: SDKAPPID, TENCENT_SECRET_KEY: "" } })).code).toBe(3);
    const noSdkAppId = await cli(args, { env: { TENCENT_SECRET_KEY: SECRET } });
    expect(noSdkAppId.code).toBe(3);
    expect(noSdkAppId.stderr).toMatch(/no SDKAppID: pass --sdk-app-id or set TENCENT_SDKAPPID/);
    const badSdkAppId = await cli(args, { env: { TENCENT_SECRET_KEY: SECRET, TENCENT_SDKAPPID: "14e8" } });
    expect(badSdkAppId.code).toBe(3);
    expect(badSdkAppId.stderr).toMatch(/TENCENT_SDKAPPID must be a decimal integer/);
    const emptyStdin = await cli([...args, "--secret-key-stdin"], { env: { TENCENT_SDKAPPID: SDKAPPID }, input: "\n" });
    expect(emptyStdin.code).toBe(3);
    expect(emptyStdin.stderr).toMatch(/no secret key on stdin/);
    const hugeKey = await cli([...args, "--secret-key-stdin"], {
      env: { TENCENT_SDKAPPID: SDKAPPID },
      input: "k".repeat(2000),
    });
    expect(hugeKey.code).toBe(3);
    expect(hugeKey.stderr).toMatch(/over 1024 characters/);
  });

  it("--json reports errors as one JSON object on stdout, nothing on stderr", async () => {
    const usage = await cli(["sign", "--json", "--expire", "60"], { env: KEY_ENV });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("");
    expect(json(usage)).toEqual({ error: { code: "ERR_USAGE", message: expect.stringMatching(/needs --user-id/) } });
    const config = await cli(["sign", "--json", "--user-id", "a", "--expire", "60"], {
      env: { TENCENT_SDKAPPID: SDKAPPID },
    });
    expect(config.code).toBe(3);
    expect(config.stderr).toBe("");
    expect(json(config)).toEqual({ error: { code: "ERR_CONFIG", message: expect.stringMatching(/no secret key/) } });
  });
});

describe.concurrent("a secret key is never taken as an argument, and never echoed", SLOW, () => {
  const sign = ["sign", "--user-id", "a", "--expire", "60"];
  it.each([
    ["--secret-key=", [...sign, `--secret-key=${SECRET}`]],
    ["--secret-key <key>", [...sign, "--secret-key", SECRET]],
    ["--secretkey <key>", [...sign, "--secretkey", SECRET]],
    ["--key <key>", [...sign, "--key", SECRET]],
    ["--secret <key>", [...sign, "--secret", SECRET]],
    ["--SECRET_KEY=", [...sign, `--SECRET_KEY=${SECRET}`]],
    ["--secret-key-stdin=", [...sign, `--secret-key-stdin=${SECRET}`]],
    ["verify --secret-key", ["verify", "some-token", `--secret-key=${SECRET}`]],
    ["sign-privatemapkey --key", ["sign-privatemapkey", "--user-id", "a", "--key", SECRET]],
    ["hash-api-key --api-key", ["hash-api-key", `--api-key=${SECRET}`]],
  ])("%s is refused with exit 2", async (_name, args) => {
    const run = await cli(args, { env: KEY_ENV });
    expectUsage(run, /secrets are never taken as command-line arguments/);
    const asJson = await cli([...args, "--json"], { env: KEY_ENV });
    expect(asJson.code).toBe(2);
    expect((json(asJson)["error"] as { code: string }).code).toBe("ERR_SECRET_AS_ARGUMENT");
  });

  it("does not echo a key given in any other place on the command line", async () => {
    const env = { TENCENT_SDKAPPID: SDKAPPID };
    expectUsage(await cli([...sign, SECRET], { env }), /sign takes no arguments besides its options/);
    expectUsage(await cli(["hash-api-key", SECRET], { env }), /hash-api-key takes no arguments/);
    expectUsage(await cli([SECRET, "sign"], { env }), /unknown command/);
    expectUsage(await cli([`--${SECRET}`], { env }), /options come after the command/);
    expectUsage(await cli([...sign, `--${SECRET}`], { env }), /unknown option \(not shown\) for sign/);
    expectUsage(await cli([...sign, `-${SECRET}`], { env }), /unknown option \(not shown\) for sign/);
    expectUsage(await cli([...sign, "-k", SECRET], { env }), /unknown option -k for sign/);
    expectUsage(await cli(["verify", "token", SECRET], { env }), /verify takes at most one argument/);
    expectUsage(await cli(["decode", "token", SECRET], { env }), /decode takes at most one argument/);
    expectUsage(
      await cli(["sign-privatemapkey", "--privileges", SECRET, "--user-id", "a", "--expire", "9", "--room", "1"], {
        env,
      }),
      /--privileges must be/,
    );
  });
});

describe.concurrent("sign-privatemapkey", SLOW, () => {
  const base = ["sign-privatemapkey", "--user-id", "xiaojun", "--expire", "15552000", "--now", NOW];

  it("prints exactly the known-answer PrivateMapKeys (numeric and string room)", async () => {
    const numeric = await cli([...base, "--room", "1234", "--privileges", "255"], { env: KEY_ENV });
    expect(numeric).toEqual({ code: 0, stdout: `${NUMERIC_ROOM_VECTOR?.userSig}\n`, stderr: "" });
    const named = await cli([...base, "--room", "1234", "--privileges", "All"], { env: KEY_ENV });
    expect(named.stdout).toBe(numeric.stdout);
    const stringRoom = await cli([...base, "--str-room", "room-abc", "--privileges", "0xff"], { env: KEY_ENV });
    expect(stringRoom).toEqual({ code: 0, stdout: `${STRING_ROOM_VECTOR?.userSig}\n`, stderr: "" });
  });

  it("one spelling of each option in every command, the other as an alias; an unknown one gets the closest", async () => {
    const signed = await cli(["sign", "--sdk-app-id", SDKAPPID, "--user-id", "alice", "--expire", "1h"], {
      env: { TENCENT_SECRET_KEY: SECRET },
    });
    const aliased = await cli(["sign", "--sdkappid", SDKAPPID, "--user-id", "alice", "--expire", "1h"], {
      env: { TENCENT_SECRET_KEY: SECRET },
    });
    expect(signed.code).toBe(0);
    expect(aliased.code).toBe(0);
    for (const spelling of ["--sdk-app-id", "--sdkappid"]) {
      const verified = await cli(["verify", signed.stdout.trim(), spelling, "1"], {
        env: { TENCENT_SECRET_KEY: SECRET },
      });
      expect(verified.stderr, spelling).toMatch(/ERR_SDKAPPID_MISMATCH/);
      expect((await cli(["smoke", "http://127.0.0.1:1", spelling, "x"])).stderr).toMatch(
        new RegExp(`${spelling} must be a decimal integer`),
      );
    }
    expectUsage(
      await cli(["sign", "--sdk-app-id", "1", "--sdkappid", "1", "--user-id", "a", "--expire", "1"]),
      /give --sdk-app-id or --sdkappid, not both/,
    );
    expectUsage(
      await cli(["sign", "--sdk-appid", "1", "--user-id", "a", "--expire", "1"]),
      /unknown option --sdk-appid for sign; did you mean --sdk-app-id\?/,
    );
    expectUsage(
      await cli(["doctor", "x", "--userid", "a"]),
      /unknown option --userid for doctor; did you mean --user-id\?/,
    );
    expectUsage(await cli(["sign-privatemapkey", "--strroom", "a"]), /did you mean --str-room\?/);
  });

  it("accepts the API's names --str-room-id and --room-id, one room option only", async () => {
    const strRoomId = await cli([...base, "--str-room-id", "room-abc", "--privileges", "0xff"], { env: KEY_ENV });
    expect(strRoomId).toEqual({ code: 0, stdout: `${STRING_ROOM_VECTOR?.userSig}\n`, stderr: "" });
    const roomId = await cli([...base, "--room-id", "1234", "--privileges", "255"], { env: KEY_ENV });
    expect(roomId).toEqual({ code: 0, stdout: `${NUMERIC_ROOM_VECTOR?.userSig}\n`, stderr: "" });
    expectUsage(
      await cli([...base, "--str-room", "a", "--str-room-id", "a", "--privileges", "1"], { env: KEY_ENV }),
      /give --str-room or --str-room-id, not both/,
    );
    expectUsage(
      await cli([...base, "--str-room-id", "r".repeat(65), "--privileges", "1"], { env: KEY_ENV }),
      /--str-room-id must be 1 to 64 bytes/,
    );
  });

  it("--json names the room and the privileges", async () => {
    const run = await cli(
      [...base, "--str-room", "room-abc", "--privileges", "EnterRoom,recvaudio, RecvVideo", "--json"],
      {
        env: KEY_ENV,
      },
    );
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({
      privateMapKey: expect.any(String),
      sdkAppId: vectors.sdkAppId,
      userId: "xiaojun",
      strRoomId: "room-abc",
      privileges: 2 + 8 + 32,
      privilegeNames: ["EnterRoom", "RecvAudio", "RecvVideo"],
      issuedAt: vectors.time,
      issuedAtIso: "2023-11-14T22:13:20Z",
      expireSeconds: 15552000,
      expiresAt: vectors.time + 15552000,
      expiresAtIso: "2024-05-12T22:13:20Z",
    });
  });

  it("then decode shows the room and the privileges by name", async () => {
    const key = (
      await cli(
        [
          "sign-privatemapkey",
          "--user-id",
          "bob",
          "--expire",
          "10m",
          "--room",
          "42",
          "--privileges",
          "EnterRoom,RecvAudio",
        ],
        {
          env: KEY_ENV,
        },
      )
    ).stdout.trim();
    const human = await cli(["decode", key]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^room: +42$/m);
    expect(human.stdout).toMatch(/^privileges: +10: EnterRoom, RecvAudio$/m);
    expect(human.stdout).toMatch(/^expired: +no, (10m|9m \d+s) left$/m);
    const decoded = json(await cli(["decode", key, "--json"]));
    expect(decoded["privateMap"]).toEqual({
      roomId: 42,
      privileges: 10,
      privilegeNames: ["EnterRoom", "RecvAudio"],
      expiresAt: decoded["expiresAt"],
      expiresAtIso: decoded["expiresAtIso"],
    });
    const all = await cli(["decode", NUMERIC_ROOM_VECTOR?.userSig ?? ""]);
    expect(all.stdout).toContain(`privileges: 255 (All): ${ALL_PRIVILEGES.join(", ")}`);
  });

  it("refuses bad rooms and privileges with exit 2", async () => {
    const env = KEY_ENV;
    expectUsage(await cli([...base, "--privileges", "255"], { env }), /exactly one of --room <n> and --str-room <s>/);
    expectUsage(
      await cli([...base, "--room", "1", "--str-room", "a", "--privileges", "255"], { env }),
      /exactly one of/,
    );
    expectUsage(await cli([...base, "--room", "1"], { env }), /needs --privileges/);
    // The official library signs room 4294967295 (MAX_ROOM_VECTOR); TRTC reserves it.
    expect(MAX_ROOM_VECTOR?.call).toContain("4294967295");
    for (const room of ["0", "4294967295", "-1", "1e3", "abc"]) {
      expectUsage(
        await cli([...base, `--room=${room}`, "--privileges", "255"], { env }),
        /--room must be a decimal integer from 1 to 4294967294/,
      );
    }
    expectUsage(
      await cli([...base, "--str-room", "r".repeat(65), "--privileges", "1"], { env }),
      /--str-room must be 1 to 64 bytes/,
    );
    for (const privileges of ["0", "256", "0x100", "EnterRoom,Fly", "", ",", "-1"]) {
      expectUsage(
        await cli([...base, "--room", "1", `--privileges=${privileges}`], { env }),
        /--privileges must be a bitmap from 1 to 255/,
      );
    }
  });
});

describe.concurrent("verify", SLOW, () => {
  it("round trip: what sign prints, verify accepts (argument or stdin; human and JSON)", async () => {
    const token = await sign("alice", ["--expire", "1h"]);
    const human = await cli(["verify", token, "--user-id", "alice"], { env: KEY_ENV });
    expect(human.code).toBe(0);
    expect(human.stderr).toBe("");
    expect(human.stdout).toMatch(/^valid: SDKAppID, signature, UserID and expiry check out\n/);
    expect(human.stdout).toMatch(/^ {2}userId: +"alice"$/m);
    expect(human.stdout).not.toContain(token);

    const fromStdin = await cli(["verify", "--json"], { env: KEY_ENV, input: `${token}\n` });
    expect(fromStdin.code).toBe(0);
    expect(json(fromStdin)).toMatchObject({ valid: true, sdkAppId: vectors.sdkAppId, userId: "alice", expired: false });
    expect((await cli(["verify", "-"], { env: KEY_ENV, input: token })).code).toBe(0);
  });

  it("round trip with the key on stdin and the token as the argument", async () => {
    const token = await sign("carol", ["--expire", "60"]);
    const run = await cli(["verify", token, "--secret-key-stdin", "--sdkappid", SDKAPPID, "--json"], {
      input: `${SECRET}\n`,
    });
    expect(run.code).toBe(0);
    expect(json(run)["valid"]).toBe(true);
  });

  it("accepts the other official libraries' tokens (Python, PHP, C++)", async () => {
    for (const vector of vectors.verify) {
      const run = await cli(["verify", vector.userSig, "--user-id", "xiaojun", "--now", NOW, "--json"], {
        env: KEY_ENV,
      });
      expect(run.code, `${vector.library} ${vector.function}`).toBe(0);
    }
  });

  it("expiry: valid up to and including issue time + lifetime, exit 1 after", async () => {
    const token = USERSIG_VECTOR?.userSig ?? "";
    const last = String(vectors.time + 15552000);
    expect((await cli(["verify", token, "--now", last], { env: KEY_ENV })).code).toBe(0);
    const expired = await cli(["verify", token, "--now", String(vectors.time + 15552000 + 86400)], {
      env: KEY_ENV,
      hidden: [token],
    });
    expect(expired.code).toBe(1);
    expect(expired.stdout).toBe("");
    expect(expired.stderr).toBe("invalid: the UserSig has expired at 2024-05-12T22:13:20Z, 1d ago (ERR_EXPIRED)\n");
    const asJson = await cli(["verify", token, "--json"], { env: KEY_ENV, hidden: [token] });
    expect(asJson.code).toBe(1);
    expect(asJson.stderr).toBe("");
    expect(json(asJson)).toEqual({ valid: false, error: { code: "ERR_EXPIRED", message: "the UserSig has expired" } });
  });

  it("exit 1 for another key, SDKAppID or UserID, a tampered token and a non-token; never echoes the token", async () => {
    const token = await sign("alice", ["--expire", "1h"]);
    const cases: [string[], Record<string, string>, string][] = [
      [["--user-id", "bob"], KEY_ENV, "ERR_USERID_MISMATCH"],
      [[], { ...KEY_ENV, TENCENT_SECRET_KEY: OTHER_SECRET }, "ERR_SIGNATURE"],
      [["--sdkappid", "1400000001"], KEY_ENV, "ERR_SDKAPPID_MISMATCH"],
    ];
    for (const [extra, env, code] of cases) {
      const run = await cli(["verify", token, ...extra], { env, hidden: [token] });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(new RegExp(`^invalid: .*\\(${code}\\)\\n$`));
      expect(
        (json(await cli(["verify", token, ...extra, "--json"], { env, hidden: [token] }))["error"] as { code: string })
          .code,
      ).toBe(code);
    }
    const other = tokenOf({
      "TLS.ver": "2.0",
      "TLS.identifier": "alice",
      "TLS.sdkappid": vectors.sdkAppId,
      "TLS.time": vectors.time,
      "TLS.expire": 10 ** 9,
      "TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=",
    });
    const forged = await cli(["verify", other, "--json"], { env: KEY_ENV, hidden: [other] });
    expect(forged.code).toBe(1);
    expect((json(forged)["error"] as { code: string }).code).toBe("ERR_SIGNATURE");
    for (const bad of ["not-a-token", `${token}x`, token.slice(0, -10), "a".repeat(5000)]) {
      const run = await cli(["verify", bad, "--json"], { env: KEY_ENV, hidden: [bad] });
      expect(run.code).toBe(1);
      expect((json(run)["error"] as { code: string }).code).toMatch(/^ERR_(MALFORMED|TOO_LARGE)$/);
    }
  });

  it("refuses to read both the token and the key from stdin (exit 2), and needs a token (exit 3)", async () => {
    const both = await cli(["verify", "--secret-key-stdin"], { env: { TENCENT_SDKAPPID: SDKAPPID }, input: SECRET });
    expectUsage(both, /the token and the secret key cannot both come from stdin/);
    expectUsage(
      await cli(["verify", "-", "--secret-key-stdin"], { env: KEY_ENV, input: SECRET }),
      /cannot both come from stdin/,
    );
    const noToken = await cli(["verify"], { env: KEY_ENV, input: " \n" });
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toMatch(/no token on stdin/);
    const noKey = await cli(["verify", "token"], { env: { TENCENT_SDKAPPID: SDKAPPID } });
    expect(noKey.code).toBe(3);
    expectUsage(await cli(["verify", "token", "--user-id="], { env: KEY_ENV }), /--user-id must not be empty/);
  });
});

describe.concurrent("decode", SLOW, () => {
  it("shows the fields, ISO times, expiry and that the signature was not checked (no key needed)", async () => {
    const token = USERSIG_VECTOR?.userSig ?? "";
    const run = await cli(["decode", token, "--now", String(vectors.time + 60)]);
    expect(run).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "sdkAppId:   1400000000",
        'userId:     "xiaojun"',
        "issued:     2023-11-14T22:13:20Z (1700000000)",
        "lifetime:   15552000s (180d)",
        "expires:    2024-05-12T22:13:20Z (1715552000)",
        "expired:    no, 179d 23h left",
        "signature:  not checked (decode needs no key; use verify to check it)",
        "",
      ].join("\n"),
    });
    expect((await cli(["decode", token])).stdout).toMatch(/^expired: +yes, \d+d( \d+h)? ago$/m);
  });

  it("--json, from stdin, string rooms", async () => {
    const run = await cli(["decode", "--json", "--now", NOW], { input: `\n${STRING_ROOM_VECTOR?.userSig}\n` });
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({
      version: "2.0",
      sdkAppId: vectors.sdkAppId,
      userId: "xiaojun",
      issuedAt: vectors.time,
      issuedAtIso: "2023-11-14T22:13:20Z",
      expireSeconds: 15552000,
      expiresAt: 1715552000,
      expiresAtIso: "2024-05-12T22:13:20Z",
      expired: false,
      userBuf: Buffer.from(STRING_ROOM_VECTOR?.userBufHex ?? "", "hex").toString("base64"),
      privateMap: {
        strRoomId: "room-abc",
        privileges: 255,
        privilegeNames: ALL_PRIVILEGES,
        expiresAt: 1715552000,
        expiresAtIso: "2024-05-12T22:13:20Z",
      },
    });
    const human = await cli(["decode", STRING_ROOM_VECTOR?.userSig ?? ""]);
    expect(human.stdout).toMatch(/^room: +"room-abc" \(string room\)$/m);
  });

  it("escapes control characters a stranger's token may carry", async () => {
    const token = tokenOf({
      "TLS.ver": "2.0",
      "TLS.identifier": "evil\u001b[2J\nuser",
      "TLS.sdkappid": 1,
      "TLS.time": 0,
      "TLS.expire": 1,
      "TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=",
    });
    const run = await cli(["decode", token]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('userId:     "evil\\u001b[2J\\u000auser"');
    expect(run.stdout).not.toContain("\u001b");
  });

  it("exit 1 for what is not a UserSig, without echoing it; exit 3 without a token", async () => {
    for (const bad of ["hello", "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLB", "%%%"]) {
      const run = await cli(["decode", bad], { hidden: [bad] });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        /^usersig-broker: not a UserSig: .* \(ERR_MALFORMED\)\nhint: .+ \(`usersig-broker doctor` says more\)\n$/,
      );
      const asJson = await cli(["decode", bad, "--json"], { hidden: [bad] });
      expect(asJson.code).toBe(1);
      expect(json(asJson)).toEqual({ error: { code: "ERR_MALFORMED", message: expect.any(String) } });
    }
    // A token cut short: the core says "not a zlib stream", the hint says what happened.
    const cut = await cli(["decode", (USERSIG_VECTOR?.userSig ?? "").slice(0, 100)]);
    expect(cut.stderr).toMatch(/\nhint: The token is cut short: about \d+ characters seem to be missing\. /);
    const verifyCut = await cli(["verify", (USERSIG_VECTOR?.userSig ?? "").slice(0, 100)], { env: KEY_ENV });
    expect(verifyCut.code).toBe(1);
    expect(verifyCut.stderr).toMatch(/^invalid: .*\(ERR_MALFORMED\)\nhint: The token is cut short: /);
    const none = await cli(["decode"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no token on stdin/);
    const tooMuch = await cli(["decode"], { input: "x".repeat(70 * 1024) });
    expect(tooMuch.code).toBe(3);
    expect(tooMuch.stderr).toMatch(/stdin is over 65536 bytes/);
  });
});

describe.concurrent("hash-api-key", SLOW, () => {
  const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

  it("prints the lowercase hex SHA-256 of stdin without one trailing newline", async () => {
    // The well-known SHA-256 of "hello".
    const hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    expect(sha256("hello")).toBe(hello);
    for (const input of ["hello", "hello\n", "hello\r\n"]) {
      expect(await cli(["hash-api-key"], { input, hidden: ["hello"] })).toEqual({
        code: 0,
        stdout: `${hello}\n`,
        stderr: "",
      });
    }
    const key = "bk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const run = await cli(["hash-api-key", "--json"], { input: `${key}\n`, hidden: [key] });
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({ sha256: sha256(key), warnings: [] });
    expect((await cli(["hash-api-key"], { input: "ключ\n" })).stdout).toBe(`${sha256("ключ")}\n`);
  });

  it("removes one newline only, and warns about whitespace and line breaks", async () => {
    const twoNewlines = await cli(["hash-api-key"], { input: "hello\n\n" });
    expect(twoNewlines.code).toBe(0);
    expect(twoNewlines.stdout).toBe(`${sha256("hello\n")}\n`);
    expect(twoNewlines.stderr).toMatch(/^warning: the API key starts or ends with whitespace/m);
    expect(twoNewlines.stderr).toMatch(/^warning: the API key contains a line break/m);
    const spaced = await cli(["hash-api-key", "--json"], { input: " hello" });
    expect(spaced.stderr).toBe("");
    expect(json(spaced)).toEqual({ sha256: sha256(" hello"), warnings: [expect.stringMatching(/whitespace/)] });
  });

  it("exit 3 without a key on stdin", async () => {
    for (const input of ["", "\n"]) {
      const run = await cli(["hash-api-key"], { input });
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe("usersig-broker: no API key on stdin\n");
    }
  });
});

describe.concurrent("usage errors", SLOW, () => {
  it("an unknown command is echoed with the closest one; a word that may be a secret is not echoed", async () => {
    expectUsage(
      await cli(["frobnicate"]),
      /unknown command "frobnicate" \(commands: sign, sign-privatemapkey, verify, decode, hash-api-key, doctor, check-config, smoke/,
    );
    expectUsage(await cli(["doctr"]), /unknown command "doctr"; did you mean "doctor"\?/);
    expectUsage(await cli(["sing"]), /unknown command "sing"; did you mean "sign"\?/);
    expectUsage(await cli(["verfy"]), /did you mean "verify"\?/);
    expectUsage(await cli(["check"]), /did you mean "check-config"\?/);
    // A token or key pasted in place of the command is long or has other characters: not repeated.
    const secretish = "5bd2850fff3ecb11d7c805251c51ee46";
    expectUsage(await cli([secretish], { hidden: [secretish] }), /^usersig-broker: unknown command \(commands/);
    expectUsage(
      await cli([USERSIG_VECTOR?.userSig ?? ""], { hidden: [(USERSIG_VECTOR?.userSig ?? "").slice(0, 30)] }),
      /unknown command \(/,
    );
    expectUsage(await cli(["--user-id", "a"]), /options come after the command/);
    expectUsage(await cli(["help", "frobnicate"]), /no such command "frobnicate"/);
    const asJson = await cli(["frobnicate", "--json"]);
    expect(asJson.code).toBe(2);
    expect(json(asJson)).toEqual({ error: { code: "ERR_USAGE", message: expect.stringMatching(/unknown command/) } });
  });
});

describe.concurrent("doctor", SLOW, () => {
  it("says a cut token is truncated and by how much (token as argument or on stdin); exit 1", async () => {
    const whole = USERSIG_VECTOR?.userSig ?? "";
    const cut = whole.slice(0, 100);
    for (const run of [await cli(["doctor", cut]), await cli(["doctor"], { input: `${cut}\n` })]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^token: a UserSig, cut short\n1 problem, most likely first:\n/);
      expect(run.stdout).toMatch(/1\. The token is cut short: about \d+ characters seem to be missing\. \[TRUNCATED\]/);
      expect(run.stdout).toContain("Tencent reports it as: 70003");
    }
  });

  it("with the SDKAppID, UserID and the key from the environment: every problem, most likely first", async () => {
    const token = await sign("alice", ["--expire", "60", "--now", NOW]);
    const run = await cli(
      ["doctor", token, "--sdk-app-id", "1400000001", "--user-id", "bob", "--now", String(vectors.time + 3600)],
      {
        env: { TENCENT_SECRET_KEY: OTHER_SECRET },
        hidden: [token],
      },
    );
    expect(run.code).toBe(1);
    const order = [...run.stdout.matchAll(/^\d\. .*\[([A-Z_]+)\]$/gm)].map((m) => m[1]);
    expect(order).toEqual(["SDKAPPID_MISMATCH", "USERID_MISMATCH", "EXPIRED", "SIGNATURE_MISMATCH"]);
    expect(run.stdout).toContain(`token: a UserSig of SDKAppID ${SDKAPPID} for "alice"`);
  });

  it("a sound token: no problem, exit 0; the key from stdin checks the signature; --json", async () => {
    const token = await sign("alice", ["--expire", "1h"]);
    const ok = await cli(["doctor", token, "--sdkappid", SDKAPPID, "--user-id", "alice", "--secret-key-stdin"], {
      input: `${SECRET}\n`,
      hidden: [token],
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/No problem found in the token\.\n\nnote: Signature valid: this key signed it/);
    const asJson = json(await cli(["doctor", token, "--json"], { hidden: [token] }));
    expect(asJson).toMatchObject({
      kind: "usersig",
      findings: [],
      signature: "not-checked",
      decoded: { userId: "alice" },
    });
  });

  it("--error explains Tencent's code, alone or with a token that shows its cause", async () => {
    for (const code of [
      "6206",
      "70001",
      "70003",
      "70009",
      "70013",
      "70014",
      "70016",
      "70020",
      "70052",
      "70107",
      "70398",
    ]) {
      const run = await cli(["doctor", "--error", code]);
      expect(run.code, code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(`^Tencent error ${code} \\(ERR_[A-Z_]+\\):\n {2}.+\nWhat to check:\n {2}- `),
      );
    }
    const wrongKey = await sign("alice", ["--expire", "1h"], {
      TENCENT_SECRET_KEY: OTHER_SECRET,
      TENCENT_SDKAPPID: SDKAPPID,
    });
    const both = await cli(["doctor", wrongKey, "--error", "70009"], { env: { TENCENT_SECRET_KEY: SECRET } });
    expect(both.code).toBe(1);
    expect(both.stdout).toContain("The token shows what Tencent's 70009 is about: SIGNATURE_MISMATCH.");
    const json70013 = json(await cli(["doctor", "--error", "70013", "--json"]));
    expect(json70013).toMatchObject({ error: { code: 70013, name: "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID" } });
    expectUsage(
      await cli(["doctor", "--error", "12345"]),
      /--error must be one of Tencent's login error codes .*5400, -100018, -100006, 6206, 70001/,
    );
  });

  it("--error knows TRTC's codes, negative ones too (as the next argument or after =)", async () => {
    for (const args of [["--error", "-100018"], ["--error=-100018"]]) {
      const run = await cli(["doctor", ...args]);
      expect(run.code, args.join(" ")).toBe(0);
      expect(run.stdout).toMatch(
        /^Tencent error -100018 \(ERR_TRTC_USER_SIG_CHECK_FAILED\):\n {2}TRTC: userSig verification failed/,
      );
    }
    expect((await cli(["doctor", "--error", "-100006"])).stdout).toMatch(/permission ticket, i\.e\. the PrivateMapKey/);
    const serverError = await cli(["doctor", "--error", "5400"]);
    expect(serverError.stdout).toMatch(/^Tencent error 5400 \(ERROR_CODE\.SERVER_ERROR\):/);
    expect(serverError.stdout).toContain("doctor --error <extraCode>");
  });

  it("--error with the token on stdin looks at the token too; with an empty stdin it only explains", async () => {
    const expired = await sign("alice", ["--expire", "60", "--now", "1700000000"], {
      TENCENT_SECRET_KEY: SECRET,
      TENCENT_SDKAPPID: SDKAPPID,
    });
    const piped = await cli(["doctor", "--error", "70001"], { input: `${expired}\n` });
    expect(piped.code).toBe(1);
    expect(piped.stdout).toMatch(/^Tencent error 70001 /);
    expect(piped.stdout).toContain("The token shows what Tencent's 70001 is about: EXPIRED.");
    const alone = await cli(["doctor", "--error", "70001"], { input: "" });
    expect(alone.code).toBe(0);
    expect(alone.stdout).not.toMatch(/The token (shows|itself)/);
    expect((await cli(["doctor"], { input: "" })).code).toBe(3);
  });

  it("names what is not a UserSig: a JWT, an old v1 token", async () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbS8ifQ.c2ln";
    const run = await cli(["doctor", jwt]);
    expect(run.stdout).toContain("1. This is a JWT (alg RS256, issuer https://idp.example.com/), not a UserSig. [JWT]");
    const v1 = tokenOf({
      "TLS.identifier": "bob",
      "TLS.sdk_appid": "1400000000",
      "TLS.version": "201512300000",
      "TLS.time": NOW,
      "TLS.expire_after": "60",
      "TLS.sig": "MEUC",
    });
    const old = await cli(["doctor", v1, "--now", NOW]);
    expect(old.stdout).toMatch(/token: an old v1 UserSig of SDKAppID 1400000000 for "bob"/);
    expect(old.stdout).toContain("[V1_ECDSA]");
  });

  it("escapes control characters from a stranger's token, and refuses bad options", async () => {
    const token = tokenOf({
      "TLS.ver": "2.0",
      "TLS.identifier": "a\u009b2Jb",
      "TLS.sdkappid": 1,
      "TLS.time": 1,
      "TLS.expire": 1,
      "TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=",
    });
    const run = await cli(["doctor", token, "--user-id", "x"]);
    expect(run.stdout).toContain("a\\u009b2Jb");
    expect(run.stdout.includes("\u009b")).toBe(false);
    expectUsage(await cli(["doctor", "x", "--used-as", "jwt"]), /--used-as must be userSig or privateMapKey/);
    expectUsage(await cli(["doctor", "x", "--sdk-app-id", "1", "--sdkappid", "1"]), /not both/);
    expectUsage(await cli(["doctor", "--secret-key", "k"]), /secrets are never taken as command-line arguments/);
  });
});

describe.concurrent("check-config", SLOW, () => {
  it("a valid config: exit 0 and the secrets it needs (file, .dev.vars line, stdin)", async () => {
    const config = {
      apps: [
        { sdkAppId: 1400000001, name: "one" },
        { sdkAppId: 1400000002, guests: { enabled: true, turnstile: { siteKey: "0x4AAA" } } },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), "check-config-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    writeFileSync(
      join(dir, ".dev.vars"),
      `# comment\nSECRET_KEY_1400000001=x\nSECRET_KEY_1400000002=y\nTURNSTILE_SECRET_KEY=z\nBROKER_CONFIG='${JSON.stringify(config, null, 2)}'\n`,
    );
    try {
      for (const run of [
        await cli(["check-config", join(dir, "config.json")]),
        await cli(["check-config", join(dir, ".dev.vars")]),
        await cli(["check-config", "-"], { input: JSON.stringify(config) }),
        await cli(["check-config"], { input: JSON.stringify(config) }),
      ]) {
        expect(run.code).toBe(0);
        expect(run.stderr).toBe("");
        expect(run.stdout).toMatch(/^valid: 2 apps: 1400000001 \("one"\), 1400000002\n/);
        expect(run.stdout).toMatch(/^ {2}SECRET_KEY_1400000001 +Tencent secret key of app 1400000001$/m);
        expect(run.stdout).toMatch(/^ {2}SECRET_KEY_1400000002 /m);
        expect(run.stdout).toMatch(/^ {2}TURNSTILE_SECRET_KEY +Turnstile secret of app 1400000002$/m);
        expect(run.stdout).toMatch(/^ {2}ADMIN_API_TOKEN +optional: /m);
      }
      const asJson = json(await cli(["check-config", join(dir, "config.json"), "--json"]));
      expect(asJson).toMatchObject({ valid: true, apps: [1400000001, 1400000002] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the demo configuration is valid", async () => {
    const run = await cli(["check-config", "demo/config.json"]);
    expect(run.code).toBe(0);
  });

  it("an invalid config: exit 1 and every error with its field", async () => {
    const bad = {
      apps: [
        { sdkAppId: "1400000000", guests: { enabld: true }, lifetimes: { guest: { default: 9, max: 5 } } },
        { sdkAppId: 0 },
      ],
    };
    const run = await cli(["check-config"], { input: JSON.stringify(bad) });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^invalid: BROKER_CONFIG has \d+ errors:\n/);
    expect(run.stderr).toMatch(/^ {2}BROKER_CONFIG\.apps\[0\]\.sdkAppId: /m);
    expect(run.stderr).toMatch(/^ {2}BROKER_CONFIG\.apps\[0\]\.guests: .*"enabld"/m);
    expect(run.stderr).toMatch(
      /^ {2}BROKER_CONFIG\.apps\[0\]\.lifetimes\.guest\.default: default must not exceed max/m,
    );
    expect(run.stderr).toMatch(/^ {2}BROKER_CONFIG\.apps\[1\]\.sdkAppId: /m);
    const asJson = json(await cli(["check-config", "--json"], { input: JSON.stringify(bad) }));
    expect(asJson["valid"]).toBe(false);
    expect(asJson["errors"]).toContainEqual({ field: "apps[1].sdkAppId", message: expect.any(String) });
    const notJson = await cli(["check-config"], { input: "{apps: []" });
    expect(notJson.stderr).toBe("invalid: BROKER_CONFIG has 1 error:\n  BROKER_CONFIG is not valid JSON\n");
    // Not JSON: a .dev.vars file, judged as the Worker judges its environment.
    const noConfig = await cli(["check-config"], { input: "apps: []" });
    expect(noConfig.stderr).toMatch(
      /^invalid: 1 problem \(the Worker answers the requests that need a bad part with 500 CONFIG_ERROR\):\n {2}BROKER_CONFIG is not set\./,
    );
    const missing = await cli(["check-config", "no-such-file.json"]);
    expect(missing).toEqual({
      code: 3,
      stdout: "",
      stderr: "usersig-broker: cannot read no-such-file.json: no such file\n",
    });
  });
});

describe("smoke, against a real local broker", { timeout: 180_000 }, () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker();
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it("npm start's banner (after wrangler's Ready) shows the inspector URL, without wrangler's false alarms", () => {
    const output = broker.output();
    expect(output).toMatch(/Ready on http:\/\/127\.0\.0\.1:\d+\n\n {2}usersig-broker DEMO on /);
    expect(output).toContain(`  Inspector (decode a UserSig, get a guest one):  ${broker.base}/\n`);
    expect(output).not.toMatch(/Your types might be out of date/);
    expect(output).not.toMatch(/changed, restarting build/);
  });

  it("with the demo API key: every check passes, and no token is printed", async () => {
    const run = await cli(["smoke", broker.base, "--api-key-stdin"], {
      input: "demo-api-key-not-a-secret\n",
      hidden: ["demo-api-key-not-a-secret", "eJ"],
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").map((line) => line.split(":")[0])).toEqual([
      "PASS healthz",
      "PASS openapi",
      "PASS issue",
      "PASS verify",
      "PASS admin refused",
      "smoke",
      "",
    ]);
    expect(run.stdout).toContain(
      'PASS admin refused: POST /v1/usersig for "administrator": 403 ADMIN_IDENTITY_FORBIDDEN',
    );
    expect(run.stdout).toMatch(/smoke: 5 passed, 0 failed, 0 skipped\n$/);
    expect(run.code).toBe(0);
  });

  it("as a guest: issuing works, verify is skipped; --json", async () => {
    const run = await cli(["smoke", broker.base, "--json"], { hidden: ["eJ"] });
    expect(run.code).toBe(0);
    const body = json(run) as { checks: { name: string; outcome: string }[]; passed: number; skipped: number };
    expect(body.checks.map((c) => `${c.name}=${c.outcome}`)).toEqual([
      "healthz=pass",
      "openapi=pass",
      "issue=pass",
      "verify=skip",
      "admin refused=pass",
    ]);
  });

  it("fails when a broker issues an admin identity's UserSig, or nothing answers", async () => {
    // A broken "broker" that signs whatever it is asked for.
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", async () => {
        if (req.url === "/healthz") return void res.end("ok");
        if (req.url === "/openapi.json") {
          res.setHeader("Content-Type", "application/json");
          return void res.end(JSON.stringify({ openapi: "3.1.0", paths: { "/v1/usersig": {} } }));
        }
        const userId = (JSON.parse(body || "{}") as { userId?: string }).userId ?? "guest_x";
        const userSig = await signUserSig({ sdkAppId: 1400000000, userId, expireSeconds: 60 }, SECRET);
        res.setHeader("Content-Type", "application/json");
        res.setHeader("Cache-Control", "no-store");
        res.end(JSON.stringify({ sdkAppId: 1400000000, userId, userSig }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const run = await cli(["smoke", url], { hidden: ["eJ"] });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        'FAIL admin refused: POST /v1/usersig as a guest ISSUED a UserSig for the admin identity "administrator"',
      );
      expect(run.stdout).toMatch(/smoke: 3 passed, 1 failed, 1 skipped\n$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const nothing = await cli(["smoke", url]);
    expect(nothing.code).toBe(1);
    expect(nothing.stdout).toMatch(/^FAIL healthz: could not reach the broker \(ECONNREFUSED\)$/m);
    expectUsage(await cli(["smoke"]), /smoke needs the broker's URL/);
    expectUsage(await cli(["smoke", "ftp://x"]), /http or https/);
  });
});
