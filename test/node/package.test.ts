// The published package, as a new user gets it: `npm pack` (which runs prepare + prepack, i.e.
// scripts/build-package.mjs), then `npm install <tarball>` into a fresh project OFFLINE (an
// unreachable registry and an empty cache: it must need no other package), then in plain Node: the
// core reproduces a sign vector, the client and both adapters import, the CLI bin runs; esbuild
// bundles the client for a browser; tsc type-checks a consumer file against the installed types
// (with @ts-expect-error lines, so types that silently became `any` fail too).
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import vectors from "../fixtures/vectors.json" with { type: "json" };

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
const OFFLINE_NPM = {
  ...process.env,
  npm_config_registry: "http://127.0.0.1:9/",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};

let workDir: string | undefined;
afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const CONSUMER_MJS = `
import { signUserSig, decodeUserSig } from "usersig-broker/usersig";
import { createUserSigSource, UserSigBrokerError } from "usersig-broker/client";
import { loginChat } from "usersig-broker/client/chat";
import { enterTrtcRoom, switchTrtcRole } from "usersig-broker/client/trtc";
const vector = JSON.parse(process.argv[2]);
const userSig = await signUserSig(
  { sdkAppId: vector.sdkAppId, userId: "xiaojun", expireSeconds: 15552000 },
  vector.secretKey,
  { now: vector.time },
);
const decoded = await decodeUserSig(userSig);
const source = createUserSigSource({ endpoint: "https://sig.example.com", guest: true });
source.close();
console.log(JSON.stringify({
  userSig,
  userId: decoded.userId,
  client: [typeof createUserSigSource, typeof UserSigBrokerError, typeof loginChat, typeof enterTrtcRoom, typeof switchTrtcRole],
}));
`;

const CONSUMER_TS = `
import { signUserSig, Privilege } from "usersig-broker/usersig";
import { createUserSigSource, type UserSigResult, type UserSigSource } from "usersig-broker/client";
import { loginChat, type ChatLike } from "usersig-broker/client/chat";
import { enterTrtcRoom, switchTrtcRole, type TrtcLike } from "usersig-broker/client/trtc";

export async function main(chat: ChatLike, trtc: TrtcLike): Promise<string> {
  const sig: string = await signUserSig({ sdkAppId: 1400000000, userId: "alice", expireSeconds: 60 }, "key");
  const bits: number = Privilege.EnterRoom | Privilege.RecvAudio;
  const source: UserSigSource = createUserSigSource({ endpoint: "https://sig.example.com", guest: true });
  const result: UserSigResult = await source.get();
  source.invalidate(result.userSig);
  await source.getPrivateMapKey({ strRoomId: "demo-room", privileges: ["EnterRoom"] });
  source.invalidatePrivateMapKey();
  // @ts-expect-error a string room ID goes in strRoomId
  await source.getPrivateMapKey({ roomId: "demo-room", privileges: ["EnterRoom"] });
  // @ts-expect-error not a privilege name
  await source.getPrivateMapKey({ roomId: 1, privileges: ["Publish"] });
  const chatSession = await loginChat(chat, source, { onEvent: (event) => event.type === "kicked-out" });
  chatSession.stop();
  const room = await enterTrtcRoom(trtc, source, { strRoomId: "demo-room", role: "audience", privileges: "role" });
  await switchTrtcRole(trtc, source, "anchor");
  // @ts-expect-error roles are "anchor" | "audience"
  await switchTrtcRole(trtc, source, "host");
  room.stop();
  return sig + bits + result.userId;
}
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2022", "dom"],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["consumer.ts"],
};

describe("the npm package", () => {
  it("packs, installs offline from the tarball alone, and works in Node, a bundler and tsc", {
    timeout: 300_000,
  }, async () => {
    workDir = await mkdtemp(join(tmpdir(), "usersig-pack-"));
    const packDir = join(workDir, "pack");
    const consumer = join(workDir, "consumer");
    await mkdir(packDir);
    await mkdir(consumer);

    const checkoutManifest = await readFile(join(root, "package.json"), "utf8");
    // 1. npm pack: runs prepack (the builds, then the packed package.json) and postpack, then lists what went in.
    const packed = await run("npm", ["pack", "--json", "--pack-destination", packDir], {
      cwd: root,
      env: OFFLINE_NPM,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = info.files.map((file) => file.path);
    for (const expected of [
      "dist/usersig.js",
      "dist/client.js",
      "dist/client/chat.js",
      "dist/client/trtc.js",
      "dist/cli.mjs",
      "bin/usersig-broker.mjs",
      "dist/types/usersig/index.d.ts",
      "dist/types/client/index.d.ts",
      "dist/types/client/chat.d.ts",
      "dist/types/client/trtc.d.ts",
    ]) {
      expect(paths).toContain(expected);
    }
    // No TypeScript source, no Worker, no tests, no scripts.
    expect(paths.filter((path) => /^(src|test|scripts)\//.test(path) || /(?<!\.d)\.ts$/.test(path))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies ?? {}).toEqual({});

    // 2. Install it into a fresh project with no registry and an empty cache.
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    const install = await run(
      "npm",
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--cache",
        join(workDir, "cache"),
        join(packDir, info.filename),
      ],
      { cwd: consumer, env: OFFLINE_NPM },
    );
    const installed = (await readdir(join(consumer, "node_modules"))).filter((name) => !name.startsWith("."));
    expect(installed).toEqual(["usersig-broker"]);
    // A consumer's install is silent: no install script to approve, nothing deprecated, no warning at all.
    expect(`${install.stdout}\n${install.stderr}`).not.toMatch(/\bwarn/i);
    // The shipped package.json: no scripts (prepare needs scripts/, not shipped), no devDependencies,
    // and nothing that points at a file the tarball does not have.
    const shipped = JSON.parse(await readFile(join(consumer, "node_modules/usersig-broker/package.json"), "utf8"));
    expect(shipped.scripts).toBeUndefined();
    expect(shipped.devDependencies).toBeUndefined();
    expect(shipped.sideEffects).toBe(false);
    const targets = [
      shipped.bin["usersig-broker"],
      ...Object.values(shipped.exports as Record<string, string | Record<string, string>>).flatMap((entry) =>
        typeof entry === "string" ? [entry] : Object.values(entry),
      ),
    ].map((path) => path.replace(/^\.\//, ""));
    for (const target of targets) expect(paths, target).toContain(target);
    // The checkout's package.json is back after the pack (postpack).
    expect(await readFile(join(root, "package.json"), "utf8")).toBe(checkoutManifest);
    // Every relative link in the shipped Markdown leads to a shipped file.
    for (const doc of paths.filter((path) => path.endsWith(".md"))) {
      const text = await readFile(join(consumer, "node_modules/usersig-broker", doc), "utf8");
      for (const [, link] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
        if (/^[a-z]+:/.test(link as string)) continue;
        const target = join(dirname(doc), link as string).replace(/\\/g, "/");
        const found = target.endsWith("/") ? paths.some((path) => path.startsWith(target)) : paths.includes(target);
        expect(found, `${doc} links to ${link}, which the package does not ship`).toBe(true);
      }
    }

    // 3. Plain Node: the core signs the vector byte for byte; the client and the adapters import.
    const vector = vectors.sign[0] as { userSig: string };
    await writeFile(join(consumer, "consumer.mjs"), CONSUMER_MJS);
    const node = await run(process.execPath, ["consumer.mjs", JSON.stringify(vectors)], { cwd: consumer });
    const out = JSON.parse(node.stdout) as { userSig: string; userId: string; client: string[] };
    expect(out.userSig).toBe(vector.userSig);
    expect(out.userId).toBe("xiaojun");
    expect(out.client).toEqual(["function", "function", "function", "function", "function"]);

    // The CLI bin, as npx would run it.
    const cli = await run(process.execPath, [join(consumer, "node_modules/.bin/usersig-broker"), "--version"], {
      cwd: consumer,
    });
    expect(cli.stdout.trim()).toContain(manifest.version);

    // 4. A browser bundle of the client and an adapter: nothing but the package's own dist files.
    await writeFile(
      join(consumer, "browser.js"),
      'import { createUserSigSource } from "usersig-broker/client";\nimport { loginChat } from "usersig-broker/client/chat";\nwindow.x = [createUserSigSource, loginChat];\n',
    );
    const esbuild = (await import("esbuild")) as typeof import("esbuild");
    const bundle = await esbuild.build({
      absWorkingDir: consumer,
      entryPoints: ["browser.js"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(bundle.metafile.inputs).filter((path) => path !== "browser.js");
    expect(inputs.sort()).toEqual([
      "node_modules/usersig-broker/dist/client.js",
      "node_modules/usersig-broker/dist/client/chat.js",
    ]);
    expect(bundle.outputFiles[0]?.text).toContain("createUserSigSource");

    // 5. The installed types: a consumer file type-checks, and its @ts-expect-error lines are errors.
    await writeFile(join(consumer, "consumer.ts"), CONSUMER_TS);
    await writeFile(join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG));
    const tsc = require.resolve("typescript/bin/tsc");
    const checked = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: consumer }).catch(
      (error: { stdout?: string }) => ({ stdout: `tsc failed:\n${error.stdout ?? String(error)}` }),
    );
    expect(checked.stdout).toBe("");
  });
});
