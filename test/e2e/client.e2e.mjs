#!/usr/bin/env node
// `npm run test:e2e`: usersig-broker/client end to end in a real browser against the local worker.
//
//   1. builds dist/client.js (scripts/build-client.mjs);
//   2. starts the demo broker with test/e2e/broker.mjs (`node scripts/start.mjs` on free ports, wrangler dev on workerd) in its
//      own process group, and waits for /healthz;
//   3. serves a blank page on a free port, which the broker allows through `npm start -- --cors-origin`,
//      so the browser makes real cross-origin requests with a preflight;
//   4. drives Debian's Chromium (/usr/bin/chromium; see scripts/install-chromium.sh) with playwright-core:
//      createUserSigSource({ endpoint, guest: true }).get() twice (one POST, the second answer cached),
//      a PrivateMapKey for the demo room, and a guest that keeps its UserID across a page reload
//      through a sessionStorage adapter;
//   5. checks in Node that the UserSig and the PrivateMapKey verify with the broker's own POST /v1/verify;
//   6. invalidate() makes the next get() fetch once more; a PrivateMapKey is fetched again once the
//      page's clock passes its refresh margin, and after invalidatePrivateMapKey();
//   7. docs/client.md's Chat quick start and live-room snippet (enter as audience, switch to anchor),
//      run as written in the page with the built adapters and fakes of the two SDK instances; the
//      UserSig and both PrivateMapKeys (170, then 255) are checked with the broker's POST /v1/verify;
//   8. the runnable example examples/spa/ (served at /spa/ with the same built client): its buttons
//      get a UserSig, invalidate it, and get and invalidate a PrivateMapKey, in Chromium.
//
// Bounded: every step has a timeout and the whole run a deadline. It stops everything it started (the
// broker by its process group id, never by name), prints PASS or FAIL, and exits non-zero on failure.
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleFiles } from "../../examples/spa/serve.mjs";
import { buildClient, CLIENT_OUTFILE } from "../../scripts/build-client.mjs";
import { freePort, startBroker } from "./broker.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DEMO_API_KEY = "demo-api-key-not-a-secret";
const DEMO_SDKAPPID = 1400000000;
const RUN_DEADLINE_MS = 180_000;
const BROKER_READY_MS = 90_000;
const STEP_TIMEOUT_MS = 30_000;

const started = {
  broker: undefined,
  pageServer: undefined,
  context: undefined,
  userDataDir: undefined,
};
let checks = 0;

function ok(what) {
  checks++;
  console.log(`  ok ${checks} - ${what}`);
}

function check(condition, what, details) {
  if (!condition) throw new Error(`${what}${details === undefined ? "" : `: ${JSON.stringify(details)}`}`);
  ok(what);
}

async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const PAGE_HTML = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>usersig-broker client e2e</title>
<body><p>usersig-broker/client end-to-end test page</p></body></html>
`;

/** Serves the page, dist/client.js and its adapters, and examples/spa/ under /spa/. */
async function startPageServer(port) {
  const clientJs = await readFile(CLIENT_OUTFILE);
  const adapters = {
    "/client/chat.js": await readFile(new URL("../../dist/client/chat.js", import.meta.url)),
    "/client/trtc.js": await readFile(new URL("../../dist/client/trtc.js", import.meta.url)),
  };
  const example = await exampleFiles();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(PAGE_HTML);
    } else if (req.method === "GET" && path.startsWith("/spa/")) {
      const file = example[path === "/spa/" ? "/index.html" : path.slice("/spa".length)];
      if (file) res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-store" }).end(file.body);
      else res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    } else if (req.method === "GET" && path === "/client.js") {
      res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
      res.end(clientJs);
    } else if (req.method === "GET" && adapters[path]) {
      res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
      res.end(adapters[path]);
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  started.pageServer = server;
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${port}`;
}

async function verifyWithBroker(brokerUrl, userSig, userId) {
  const response = await fetch(`${brokerUrl}/v1/verify`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Api-Key": DEMO_API_KEY },
    body: JSON.stringify({ userSig, userId }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body = await response.json();
  return { status: response.status, body };
}

async function run() {
  const { chromium } = await import("playwright-core");
  const built = await buildClient();
  if (!built.built) throw new Error(`dist/client.js was not built: ${built.reason}`);
  ok(`built dist/client.js (${built.bytes} bytes)`);

  // The page on a free port, allowed by `npm start -- --cors-origin` (the demo lists only :5173).
  const pagePort = await freePort();
  started.broker = await startBroker({
    readyMs: BROKER_READY_MS,
    args: ["--cors-origin", `http://127.0.0.1:${pagePort}`],
  });
  const brokerUrl = started.broker.base;
  ok(`demo broker ready on ${brokerUrl} (npm start -- --cors-origin http://127.0.0.1:${pagePort})`);

  const pageOrigin = await startPageServer(pagePort);
  const endpoint = brokerUrl;
  ok(`page on ${pageOrigin}, calling the broker cross-origin (CORS preflight included)`);

  started.userDataDir = await mkdtemp(join(tmpdir(), "usersig-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(started.userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: STEP_TIMEOUT_MS,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  started.context = context;
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  ok(`launched ${CHROMIUM} (${context.browser()?.version() ?? "persistent context"})`);

  const posts = { usersig: 0, privatemapkey: 0 };
  const pageErrors = [];
  context.on("request", (request) => {
    if (request.method() !== "POST") return;
    const path = new URL(request.url()).pathname;
    if (path === "/v1/usersig") posts.usersig++;
    if (path === "/v1/privatemapkey") posts.privatemapkey++;
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.goto(`${pageOrigin}/`);

  // The page's own fetch, in the page's own origin: exactly what an app does.
  const first = await page.evaluate(async (endpoint) => {
    const { createUserSigSource } = await import("/client.js");
    window.source = createUserSigSource({ endpoint, guest: true });
    return window.source.get();
  }, endpoint);
  check(posts.usersig === 1, "the first get() made one POST /v1/usersig", posts);
  check(
    first.sdkAppId === DEMO_SDKAPPID && /^guest_/.test(first.userId) && first.userSig.length > 20,
    `the browser got a guest UserSig (userId ${first.userId}, expires in ${first.expireSeconds} s)`,
    { sdkAppId: first.sdkAppId, userId: first.userId },
  );

  const second = await page.evaluate(() => window.source.get());
  check(posts.usersig === 1, "a second get() made no new request", posts);
  check(
    second.userSig === first.userSig && second.expiresAt === first.expiresAt,
    "the second get() returned the cached UserSig",
  );

  const verified = await verifyWithBroker(brokerUrl, first.userSig, first.userId);
  check(
    verified.status === 200 && verified.body.valid === true && verified.body.userId === first.userId,
    "the broker's POST /v1/verify accepts the UserSig from the browser",
    { status: verified.status, code: verified.body.code },
  );

  const mapKey = await page.evaluate(() =>
    window.source.getPrivateMapKey({ strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"] }),
  );
  check(
    posts.privatemapkey === 1 && posts.usersig === 1 && mapKey.userId === first.userId,
    "getPrivateMapKey() reused the guest's ticket (same UserID, no new UserSig request)",
    { posts, userId: mapKey.userId },
  );
  const mapVerified = await verifyWithBroker(brokerUrl, mapKey.privateMapKey, first.userId);
  check(
    mapVerified.status === 200 &&
      mapVerified.body.privateMap?.strRoomId === "demo-room" &&
      mapVerified.body.privateMap?.privileges === 10,
    "the broker's POST /v1/verify reads the PrivateMapKey: demo-room, EnterRoom + RecvAudio",
    { status: mapVerified.status, privateMap: mapVerified.body.privateMap },
  );

  // invalidate(): the SDK refused the UserSig; the next get() fetches (one POST for all callers).
  const afterInvalidate = await page.evaluate(async (rejected) => {
    window.source.invalidate(rejected);
    const [a, b] = await Promise.all([window.source.get(), window.source.get()]);
    return { same: a === b, userId: a.userId, userSig: a.userSig };
  }, first.userSig);
  check(
    posts.usersig === 2 && afterInvalidate.same && afterInvalidate.userId === first.userId,
    "invalidate(): the next two get()s made one new POST /v1/usersig, same guest UserID (renewed by its ticket)",
    { posts, userId: afterInvalidate.userId },
  );
  const renewed = await verifyWithBroker(brokerUrl, afterInvalidate.userSig, first.userId);
  check(renewed.status === 200 && renewed.body.valid === true, "the broker's POST /v1/verify accepts the new UserSig", {
    status: renewed.status,
  });
  await page.evaluate(() => window.source.close());

  // PrivateMapKeys: cached, fetched again once the (page's) clock passes expiry minus the margin, and
  // after invalidatePrivateMapKey(). A source with a movable clock stands in for an hour passing.
  const mapKeys = await page.evaluate(async (endpoint) => {
    const { createUserSigSource } = await import("/client.js");
    let offsetMs = 0;
    const source = createUserSigSource({ endpoint, guest: true, now: () => Date.now() + offsetMs });
    const room = { strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"], expireSeconds: 600 };
    try {
      const k1 = await source.getPrivateMapKey(room);
      const k2 = await source.getPrivateMapKey(room);
      offsetMs = (k1.expireSeconds - 60) * 1000 - 5000; // still outside the 60 s margin (10% of 600 s)
      const k3 = await source.getPrivateMapKey(room);
      offsetMs = (k1.expireSeconds - 60) * 1000 + 1000; // inside it
      const k4 = await source.getPrivateMapKey(room);
      source.invalidatePrivateMapKey(room);
      const k5 = await source.getPrivateMapKey(room);
      return {
        cached: k1 === k2 && k1 === k3,
        refreshed: k4 !== k1,
        invalidated: k5 !== k4,
        lifetime: k1.expireSeconds,
        key: k5.privateMapKey,
        userId: k5.userId,
      };
    } finally {
      source.close();
    }
  }, endpoint);
  check(
    mapKeys.cached && mapKeys.refreshed && mapKeys.invalidated && posts.privatemapkey === 4,
    `a PrivateMapKey (${mapKeys.lifetime} s) is cached, fetched again inside its refresh margin and after invalidatePrivateMapKey()`,
    { ...mapKeys, key: undefined, posts },
  );
  const refreshedKey = await verifyWithBroker(brokerUrl, mapKeys.key, mapKeys.userId);
  check(
    refreshedKey.status === 200 && refreshedKey.body.privateMap?.strRoomId === "demo-room",
    "the broker's POST /v1/verify reads the refreshed PrivateMapKey",
    { status: refreshedKey.status },
  );

  // A page reload keeps the guest's identity when the app gives a storage adapter.
  const withStorage = async (endpoint) => {
    const { createUserSigSource } = await import("/client.js");
    const key = "usersig-broker:guest";
    const storage = {
      get: () => sessionStorage.getItem(key),
      set: (value) => (value === null ? sessionStorage.removeItem(key) : sessionStorage.setItem(key, value)),
    };
    const source = createUserSigSource({ endpoint, guest: { storage } });
    try {
      return (await source.get()).userId;
    } finally {
      source.close();
    }
  };
  const beforeReload = await page.evaluate(withStorage, endpoint);
  await page.reload();
  const afterReload = await page.evaluate(withStorage, endpoint);
  check(
    beforeReload !== first.userId && afterReload === beforeReload,
    `a guest kept its UserID across a page reload through sessionStorage (${afterReload})`,
    { beforeReload, afterReload },
  );
  await runDocSnippets(page, brokerUrl, endpoint);
  check(pageErrors.length === 0, "the page raised no uncaught errors", pageErrors);

  await runExample(context, pageOrigin, endpoint, posts);
}

/** The first ```js block after `marker` in docs/client.md, without its import lines. */
function docSnippet(doc, marker) {
  const at = doc.indexOf(marker);
  if (at === -1) throw new Error(`docs/client.md no longer has "${marker}"`);
  const match = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!match) throw new Error(`no js block after "${marker}" in docs/client.md`);
  return match[1]
    .split("\n")
    .filter((line) => !/^import\b/.test(line))
    .join("\n");
}

/**
 * docs/client.md's snippets, run as written in the page with the built adapters against the demo
 * broker; only the two SDK instances are fakes (they record what the adapters hand them). The Chat
 * quick start's createUserSigSource() gets the demo's endpoint and `guest: true` in place of its IdP
 * (the demo has none); the live-room snippet runs unchanged on a guest source.
 */
async function runDocSnippets(page, brokerUrl, endpoint) {
  const doc = await readFile(new URL("../../docs/client.md", import.meta.url), "utf8");
  const chatSnippet = docSnippet(doc, "## Quick start: Tencent Chat");
  const liveSnippet = docSnippet(doc, "A live-streaming room with advanced permission control");
  const result = await page.evaluate(
    async ({ endpoint, chatSnippet, liveSnippet }) => {
      const client = await import("/client.js");
      const { loginChat } = await import("/client/chat.js");
      const { enterTrtcRoom, switchTrtcRole } = await import("/client/trtc.js");
      const AsyncFunction = (async () => {}).constructor;
      const sources = [];
      const createUserSigSource = (options) => {
        const { getIdToken: _idp, ...rest } = options;
        const source = client.createUserSigSource({ ...rest, endpoint, guest: true });
        sources.push(source);
        return source;
      };
      // Fake SDK instances: the calls the adapters make, recorded.
      const chatCalls = [];
      const TencentCloudChat = {
        create: (options) => ({
          login: async (login) => {
            chatCalls.push({ sdkAppId: options.SDKAppID, userId: login.userID, userSig: login.userSig });
            return { data: { repeatLogin: false } };
          },
          on: () => {},
          off: () => {},
        }),
      };
      const trtcCalls = [];
      const trtc = {
        enterRoom: async (params) => {
          trtcCalls.push({ call: "enterRoom", ...params });
        },
        exitRoom: async () => {
          trtcCalls.push({ call: "exitRoom" });
        },
        switchRole: async (role, option) => {
          trtcCalls.push({ call: "switchRole", role, privateMapKey: option?.privateMapKey });
        },
        on: () => {},
        off: () => {},
      };
      const TRTC = { TYPE: { SCENE_LIVE: "live" }, create: () => trtc };
      const events = [];
      const console = { log: (...args) => events.push(args.join(" ")) };
      try {
        await new AsyncFunction("TencentCloudChat", "createUserSigSource", "loginChat", "console", chatSnippet)(
          TencentCloudChat,
          createUserSigSource,
          loginChat,
          console,
        );
        const source = client.createUserSigSource({ endpoint, guest: true });
        sources.push(source);
        await new AsyncFunction("TRTC", "trtc", "source", "enterTrtcRoom", "switchTrtcRole", liveSnippet)(
          TRTC,
          trtc,
          source,
          enterTrtcRoom,
          switchTrtcRole,
        );
        return { ok: true, chatCalls, trtcCalls, events };
      } catch (error) {
        return { ok: false, error: String(error), code: error?.code, chatCalls, trtcCalls };
      } finally {
        for (const source of sources) source.close();
      }
    },
    { endpoint, chatSnippet, liveSnippet },
  );
  check(result.ok, "docs/client.md's Chat quick start and live-room snippet run as written against the demo", result);

  const [login] = result.chatCalls;
  const chatVerified = await verifyWithBroker(brokerUrl, login?.userSig, login?.userId);
  check(
    result.chatCalls.length === 1 && login.sdkAppId === DEMO_SDKAPPID && chatVerified.status === 200,
    `Chat snippet: loginChat() logged ${login?.userId} in once with a UserSig the broker verifies (event: ${result.events.join(", ")})`,
    { calls: result.chatCalls.length, status: chatVerified.status },
  );

  const [enter, switched, ...more] = result.trtcCalls;
  check(
    enter?.call === "enterRoom" &&
      enter.strRoomId === "demo-room" &&
      enter.role === "audience" &&
      enter.scene === "live" &&
      switched?.call === "switchRole" &&
      switched.role === "anchor" &&
      more.length === 0,
    "live-room snippet: enterRoom() as audience in the live scene, then switchRole('anchor')",
    result.trtcCalls.map(({ call, role, strRoomId, scene }) => ({ call, role, strRoomId, scene })),
  );
  const sigVerified = await verifyWithBroker(brokerUrl, enter.userSig, enter.userId);
  const audienceKey = await verifyWithBroker(brokerUrl, enter.privateMapKey, enter.userId);
  const anchorKey = await verifyWithBroker(brokerUrl, switched.privateMapKey, enter.userId);
  check(
    sigVerified.status === 200 &&
      audienceKey.body.privateMap?.strRoomId === "demo-room" &&
      audienceKey.body.privateMap?.privileges === 170 &&
      anchorKey.body.privateMap?.strRoomId === "demo-room" &&
      anchorKey.body.privateMap?.privileges === 255,
    "live-room snippet: the audience entered with a demo-room PrivateMapKey of 170, the anchor switched with one of 255",
    { sig: sigVerified.status, audience: audienceKey.body.privateMap, anchor: anchorKey.body.privateMap },
  );
}

/** examples/spa/ in its own tab, driven through its buttons as a person would. */
async function runExample(context, pageOrigin, endpoint, posts) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${pageOrigin}/spa/?endpoint=${encodeURIComponent(endpoint)}`);
  await page.waitForSelector("body[data-ready=true]");
  const text = (id) => page.locator(`#${id}`).textContent();
  const before = { ...posts };

  await page.click("#get");
  await page.waitForFunction(() => document.getElementById("usersig-count")?.textContent === "1");
  const userId = await text("user-id");
  check(/^guest_/.test(userId ?? "") && posts.usersig === before.usersig + 1, `example: get() shows guest ${userId}`, {
    userId,
    posts,
  });

  await page.click("#get");
  await page.click("#invalidate");
  await page.waitForFunction(() => document.getElementById("usersig-count")?.textContent === "2");
  check(
    posts.usersig === before.usersig + 2 && (await text("user-id")) === userId,
    "example: a second get() is cached; invalidate() fetches one new UserSig for the same guest",
    { posts },
  );

  await page.click("#pmk");
  await page.waitForFunction(() => document.getElementById("pmk-count")?.textContent === "1");
  await page.click("#pmk");
  await page.click("#pmk-invalidate");
  await page.waitForFunction(() => document.getElementById("pmk-count")?.textContent === "2");
  const info = await text("pmk-info");
  check(
    posts.privatemapkey === before.privatemapkey + 2 && /room demo-room, privileges 10/.test(info ?? ""),
    `example: getPrivateMapKey() cached, invalidatePrivateMapKey() fetches a new one (${info})`,
    { posts, info },
  );
  const log = (await text("log")) ?? "";
  check(!/failed|Error/.test(log) && errors.length === 0, "example: no errors in its log or the page", { log, errors });
  await page.close();
}

async function cleanup() {
  const steps = [
    async () => started.context && (await withTimeout(started.context.close(), 10_000, "closing Chromium")),
    async () => {
      if (!started.pageServer) return;
      started.pageServer.closeAllConnections?.();
      await withTimeout(new Promise((resolve) => started.pageServer.close(resolve)), 5000, "closing the page server");
    },
    async () => started.broker && (await started.broker.stop()),
    async () => started.userDataDir && (await rm(started.userDataDir, { recursive: true, force: true })),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      console.error(`  cleanup: ${error instanceof Error ? error.message : error}`);
    }
  }
}

let finishing = false;
async function finish(error) {
  if (finishing) return;
  finishing = true;
  if (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`\nFAIL: ${message}`);
    if (/RATE_LIMITED|GUEST_BUDGET_EXHAUSTED/.test(message)) {
      // Locally every guest shares one rate-limit subject, counted in .wrangler/demo-state across runs.
      console.error("  hint: the demo broker's guest rate limit is used up (it persists in .wrangler/demo-state);");
      console.error("        wait for the window to pass, or stop `npm start` and delete .wrangler/demo-state.");
    }
    const tail = (started.broker?.output() ?? "").split("\n").slice(-40).join("\n").trim();
    if (tail) console.error(`\n--- last lines of the demo broker's output ---\n${tail}\n---`);
  }
  await cleanup();
  if (!error) console.log(`\nPASS: usersig-broker/client end to end in Chromium (${checks} checks)`);
  // The closing line scripts/test.mjs reads (the run stops at its first failed check).
  console.log(`client-e2e: ${checks} passed, ${error ? 1 : 0} failed`);
  process.exit(error ? 1 : 0);
}

console.log("usersig-broker/client e2e");
const deadline = setTimeout(() => finish(new Error(`the run took longer than ${RUN_DEADLINE_MS} ms`)), RUN_DEADLINE_MS);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => finish(new Error(`stopped by ${signal}`)));
run().then(
  () => {
    clearTimeout(deadline);
    return finish();
  },
  (error) => {
    clearTimeout(deadline);
    return finish(error);
  },
);
