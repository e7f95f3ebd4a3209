#!/usr/bin/env node
// The inspector page (GET /) in real headless Chromium: `npm run test:e2e:inspector`.
//
// Starts the demo broker (test/e2e/broker.mjs: `node scripts/start.mjs`, which builds the page through
// wrangler's [build]) on free ports as its own process group, drives Debian's /usr/bin/chromium with playwright-core,
// and checks: every known-answer vector of test/fixtures/vectors.json decodes to its fields (all of
// them expired), a fresh token counts down and turns expired live, garbage and oversized input get
// their messages, the diagnosis (src/doctor) names what is wrong (cut short at several lengths, a JWT,
// another app or user, expired, a PrivateMapKey used as a UserSig), Decode brings the result into view
// at 1280x900, the favicon is served, the guest button gets a UserSig that the broker's POST /v1/verify accepts, the page
// loads nothing from anywhere but its own origin and breaks no CSP rule, and a 375-px-wide phone
// layout does not scroll sideways (screenshot: .test-results/inspector-phone.png).
//
// Prints PASS/FAIL per check and a closing `inspector: N passed, N failed`; exits non-zero on any
// failure. Every wait is bounded, and a watchdog ends the run (and the broker) after 4 minutes.
//
// Options: INSPECTOR_E2E_CHROMIUM=/path/to/chromium (default /usr/bin/chromium).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_PRIVILEGE_NAMES } from "../support/privileges.mjs";
import { startBroker } from "./broker.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const resultsDir = join(root, ".test-results");
const CHROMIUM = process.env.INSPECTOR_E2E_CHROMIUM ?? "/usr/bin/chromium";
const DEMO_API_KEY = "demo-api-key-not-a-secret";
const WATCHDOG_MS = 240_000;
const STEP_MS = 15_000;

const vectors = JSON.parse(readFileSync(join(root, "test/fixtures/vectors.json"), "utf8"));

let passed = 0;
let failed = 0;
const cleanups = [];

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`PASS ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  if (actual !== expected)
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function match(actual, pattern, what) {
  if (typeof actual !== "string" || !pattern.test(actual)) {
    throw new Error(`${what}: ${JSON.stringify(actual)} does not match ${pattern}`);
  }
}

async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch {
      // Best effort: the next cleanup still runs.
    }
  }
}

function finish(code) {
  console.log(`inspector: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

const watchdog = setTimeout(async () => {
  console.log(`FAIL watchdog: the run took longer than ${WATCHDOG_MS / 1000} s`);
  failed++;
  await cleanup();
  finish(1);
}, WATCHDOG_MS);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await cleanup();
    process.exit(1);
  });
}

/** The demo broker (test/e2e/broker.mjs); its output goes to .test-results/inspector-broker.log at the end. */
async function startDemoBroker() {
  const broker = await startBroker();
  cleanups.push(async () => writeFileSync(join(resultsDir, "inspector-broker.log"), broker.output()));
  cleanups.push(() => broker.stop());
  return broker.base;
}

/** The fields of a vector, from the JSON the library signed (not from our decoder). */
function expectedFields(vector) {
  const json = JSON.parse(vector.json);
  return {
    userId: json["TLS.identifier"],
    sdkAppId: json["TLS.sdkappid"],
    time: json["TLS.time"],
    expire: json["TLS.expire"],
    hasUserBuf: json["TLS.userbuf"] !== undefined,
  };
}

function iso(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

async function main() {
  mkdirSync(resultsDir, { recursive: true });
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    throw new Error("playwright-core is not installed (npm ci installs it as a devDependency)");
  }
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package`);

  const base = await startDemoBroker();
  console.log(`broker on ${base}`);

  const profile = mkdtempSync(join(tmpdir(), "inspector-e2e-chromium-"));
  cleanups.push(async () => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1100, height: 900 },
    locale: "en-US",
    // Not UTC: the page must show local time and ISO (UTC) side by side, and they must differ.
    timezoneId: "Asia/Shanghai",
    timeout: 30_000,
  });
  cleanups.push(async () => context.close());
  context.setDefaultTimeout(STEP_MS);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });

  const page = context.pages()[0] ?? (await context.newPage());
  const foreignRequests = [];
  const cspViolations = [];
  const pageErrors = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(`${base}/`)) foreignRequests.push(request.url());
  });
  page.on("console", (message) => {
    if (/Content Security Policy|Trusted Type/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));

  const text = async (id) => ((await page.locator(`#${id}`).textContent()) ?? "").trim();
  /** The diagnosis' finding codes, most likely first. */
  const finding = async (code) => (await page.locator(`#findings > li[data-code="${code}"]`).textContent()) ?? "";
  const findings = async () =>
    page.locator("#findings > li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-code")));
  // Clears first and waits for the previous result to go away, so that a check never reads the
  // fields of the token pasted before (two tokens in a row often share their UserID).
  const paste = async (value) => {
    const box = page.getByLabel("UserSig or PrivateMapKey");
    await box.fill("");
    await page.locator("#result").waitFor({ state: "hidden" });
    await box.fill(value);
  };
  /** Waits for the guest panel's answer; a refusal (e.g. a 429 from the rate limits) fails with its text. */
  const waitGuest = async (status) => {
    await page.locator("#guest-status", { hasText: status }).or(page.locator("#guest-error:not(:empty)")).waitFor();
    const error = await text("guest-error");
    if (error !== "") throw new Error(`the page says: ${error}`);
  };
  const waitDecoded = async (userId) => {
    await page.locator("#result").waitFor({ state: "visible" });
    await page.waitForFunction((id) => document.getElementById("f-userid")?.textContent === id, userId, {
      timeout: STEP_MS,
    });
  };

  await check("page loads with its CSP and no inline script", async () => {
    const response = await page.goto(`${base}/`, { waitUntil: "load" });
    equal(response?.status(), 200, "status");
    const headers = response.headers();
    match(headers["content-security-policy"], /default-src 'none'/, "CSP");
    match(headers["content-security-policy"], /script-src 'self'(;|$)/, "CSP script-src");
    match(headers["content-security-policy"], /frame-ancestors 'none'/, "CSP frame-ancestors");
    equal(headers["x-content-type-options"], "nosniff", "X-Content-Type-Options");
    equal(headers["referrer-policy"], "no-referrer", "Referrer-Policy");
    equal(await page.locator("script:not([src])").count(), 0, "inline scripts");
    equal(await page.title(), "UserSig inspector · usersig-broker", "title");
  });

  await check("the textarea and buttons have accessible names", async () => {
    equal(await page.getByLabel("UserSig or PrivateMapKey").evaluate((node) => node.tagName), "TEXTAREA", "label");
    await page.getByRole("button", { name: "Decode" }).waitFor();
    await page.getByRole("button", { name: "Clear" }).waitFor();
    match(await page.locator("#summary").getAttribute("role"), /^status$/, "summary role");
    match(await page.locator("#token-error").getAttribute("role"), /^alert$/, "error role");
  });

  for (const vector of vectors.sign) {
    const fields = expectedFields(vector);
    await check(`sign vector "${vector.name}" decodes`, async () => {
      await paste(vector.userSig);
      await waitDecoded(fields.userId);
      equal(await text("f-sdkappid"), String(fields.sdkAppId), "SDKAppID");
      equal(await text("f-version"), "2.0", "version");
      match(await text("f-issued-iso"), new RegExp(`^${iso(fields.time)} · unix ${fields.time}$`), "issued");
      equal(iso(fields.time), "2023-11-14T22:13:20Z", "the vectors' issue time");
      match(await text("f-expires-iso"), new RegExp(`^${iso(fields.time + fields.expire)} `), "expires");
      equal(await page.locator("#f-issued-local").getAttribute("datetime"), iso(fields.time), "<time datetime>");
      // 22:13:20 UTC is 06:13:20 the next day in Shanghai.
      match(await text("f-issued-local"), /Nov 15, 2023.*6:13:20/, "issued, local time");
      match(await text("f-lifetime"), new RegExp(` \\(${fields.expire} s\\)$`), "lifetime");
      equal(await text("f-state"), "expired", "state");
      match(await text("f-countdown"), /^expired \d+ d( \d+ h)? ago$/, "countdown");
      // Expired is the one problem the diagnosis finds in these old tokens.
      match(await text("summary"), /: expired; 1 problem found, see the diagnosis\.$/, "summary");
      equal((await findings()).join(), "EXPIRED", "diagnosis");
      equal(await text("token-error"), "", "error");
      if (!fields.hasUserBuf) {
        equal(await text("f-userbuf"), "none", "userbuf");
        equal(await page.locator("#room").isVisible(), false, "room section");
      }
    });
  }

  await check("lifetimes read as people say them", async () => {
    await paste(vectors.sign[0].userSig);
    await waitDecoded("xiaojun");
    equal(await text("f-lifetime"), "180 days (15552000 s)", "180 days");
    await paste(vectors.sign[4].userSig);
    await waitDecoded("abc_123-XYZ");
    equal(await text("f-lifetime"), "1 day (86400 s)", "1 day");
    await paste(vectors.sign[3].userSig);
    await waitDecoded("xiaojun");
    equal(await text("f-lifetime"), "5 minutes (300 s)", "5 minutes");
  });

  const rows = async () =>
    page
      .locator("#privilege-rows tr")
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-privilege"), tr.getAttribute("data-granted")]));
  const ALL = ALL_PRIVILEGE_NAMES;

  await check("PrivateMapKey, numeric room 1234, all privileges by name", async () => {
    await paste(vectors.sign[1].userSig);
    await waitDecoded("xiaojun");
    equal(await text("f-kind"), "PrivateMapKey", "kind");
    equal(await text("f-room"), "1234", "room");
    match(await text("f-room-kind"), /numeric/, "room kind");
    equal(await text("f-privileges"), "255 (0xff): all", "bitmap");
    equal(JSON.stringify(await rows()), JSON.stringify(ALL.map((name) => [name, "true"])), "privileges");
    match(await text("f-room-expires-iso"), /^2024-05-12T22:13:20Z /, "room key expiry (absolute)");
    match(await text("f-userbuf"), /^30 bytes: the room and privileges of a PrivateMapKey$/, "userbuf");
    match(
      await page.locator("#privilege-rows").textContent(),
      /Send sub-stream \(screen share\) SendSubVideo64✓ granted/,
      "labels",
    );
  });

  await check('PrivateMapKey, string room "room-abc"', async () => {
    await paste(vectors.sign[2].userSig);
    await waitDecoded("xiaojun");
    equal(await text("f-room"), '"room-abc"', "room");
    match(await text("f-room-kind"), /string room/, "room kind");
    equal(JSON.stringify(await rows()), JSON.stringify(ALL.map((name) => [name, "true"])), "privileges");
  });

  await check("PrivateMapKey, privileges 42 = EnterRoom, RecvAudio, RecvVideo", async () => {
    await paste(vectors.sign[3].userSig);
    await waitDecoded("xiaojun");
    equal(await text("f-room"), "4294967295", "room");
    equal(await text("f-privileges"), "42 (0x2a)", "bitmap");
    const granted = (await rows()).filter(([, g]) => g === "true").map(([name]) => name);
    equal(granted.join(","), "EnterRoom,RecvAudio,RecvVideo", "granted");
    match(await page.locator('#privilege-rows tr[data-privilege="CreateRoom"]').textContent(), /not granted/, "unset");
  });

  for (const vector of vectors.verify) {
    const fields = expectedFields(vector);
    await check(`${vector.library} ${vector.function} decodes`, async () => {
      await paste(vector.userSig);
      await waitDecoded(fields.userId);
      equal(await text("f-sdkappid"), String(fields.sdkAppId), "SDKAppID");
      match(await text("f-issued-iso"), /^2023-11-14T22:13:20Z /, "issued");
      equal(await text("f-state"), "expired", "state");
      if (/StringRoom/.test(vector.function)) equal(await text("f-room"), '"room-abc"', "room");
      else if (/PrivateMapKey/.test(vector.function)) equal(await text("f-room"), "1234", "room");
      else equal(await page.locator("#f-room").isVisible(), false, "no room shown for a plain UserSig");
    });
  }

  await check("a token pasted over several lines, in quotes, or as a JSON response decodes", async () => {
    const token = vectors.sign[0].userSig;
    await paste(`  "${token.slice(0, 40)}\n${token.slice(40)}"  `);
    await waitDecoded("xiaojun");
    match(await text("input-note"), /Whitespace/, "note");
    await paste(JSON.stringify({ userSig: vectors.sign[4].userSig, userId: "abc_123-XYZ" }));
    await waitDecoded("abc_123-XYZ");
    match(await text("input-note"), /"userSig" field/, "note");
  });

  await check("garbage gets a clear message", async () => {
    await paste("hello, this is not a token");
    await page.locator('#findings > li[data-code="NOT_A_USERSIG"]', { hasText: "This is not a UserSig." }).waitFor();
    match(await finding("NOT_A_USERSIG"), /a character a UserSig never has \(at position 6\)/, "reason");
    // Said once: the alert points at the diagnosis and does not repeat it.
    equal(
      await text("token-error"),
      "This could not be decoded as a UserSig: see the diagnosis below (1 problem).",
      "alert",
    );
    equal(await page.locator("#result").isVisible(), false, "result hidden");
    equal(await page.getByLabel("UserSig or PrivateMapKey").getAttribute("aria-invalid"), "true", "aria-invalid");
    equal((await findings()).join(), "NOT_A_USERSIG", "diagnosis");
  });

  await check("the diagnosis: a token cut short, at several lengths, says how much is missing", async () => {
    const whole = vectors.sign[0].userSig;
    for (const cut of [40, 76, 120, whole.length - 4]) {
      await paste(whole.slice(0, cut));
      await page.locator('#findings > li[data-code="TRUNCATED"]', { hasText: "The token is cut short" }).waitFor();
      match(
        await finding("TRUNCATED"),
        /The token is cut short: (about|at least) \d+ characters? seem|last \d+ characters? seem/,
        `cut at ${cut}`,
      );
      equal((await text("token-error")).includes("cut short"), false, `cut at ${cut}: said once`);
      equal((await findings()).join(), "TRUNCATED", `cut at ${cut}: diagnosis`);
      match(
        await page.locator('#findings > li[data-code="TRUNCATED"]').textContent(),
        /Tencent reports it as: 70003\./,
        "Tencent code",
      );
    }
  });

  await check("oversized input gets the too-large message", async () => {
    await paste("A".repeat(5000));
    await page
      .locator('#findings > li[data-code="TOO_LARGE"]', { hasText: "Too long to be a UserSig (5000 characters)." })
      .waitFor();
    equal((await findings()).join(), "TOO_LARGE", "diagnosis");
  });

  await check("the diagnosis: a JWT and a guest ticket are named, not decoded", async () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbS8ifQ.c2ln";
    await paste(jwt);
    await page
      .locator('#findings > li[data-code="JWT"]', {
        hasText: "This is a JWT (alg RS256, issuer https://idp.example.com/), not a UserSig.",
      })
      .waitFor();
    equal((await findings()).join(), "JWT", "diagnosis");
    match(await text("diagnosis"), /Authorization: Bearer/, "what to do");
    // The doctor's `code spans` are code, not literal backticks.
    equal((await text("diagnosis")).includes("`"), false, "no literal backtick");
    equal(
      await page.locator('#findings > li[data-code="JWT"] code').first().textContent(),
      "Authorization: Bearer <JWT>",
      "the header as code",
    );
  });

  const setKnown = async ({ sdkAppId = "", userId = "", usedAs = "" } = {}) => {
    await page.getByLabel("SDKAppID").fill(sdkAppId);
    await page.getByLabel("UserID", { exact: true }).fill(userId);
    await page.getByLabel("Used as").selectOption(usedAs);
  };

  await check("the diagnosis checks what it was used with, most likely first", async () => {
    await setKnown({ sdkAppId: "1400000099", userId: "Xiaojun" });
    await paste(vectors.sign[0].userSig);
    await waitDecoded("xiaojun");
    await page.locator("#findings > li").nth(2).waitFor();
    equal((await findings()).join(), "SDKAPPID_MISMATCH,USERID_MISMATCH,EXPIRED", "findings in order");
    match(await text("diagnosis-summary"), /^3 problems, most likely first:$/, "summary");
    match(await page.locator('#findings > li[data-code="USERID_MISMATCH"]').textContent(), /only in case/, "case hint");
    match(
      await page.locator('#findings > li[data-code="EXPIRED"]').textContent(),
      /^It expired \d+d( \d+h)? ago, at 2024-05-12T22:13:20Z\./,
      "expired",
    );
    match(await text("summary"), /3 problems found, see the diagnosis\.$/, "status line");
    // Used as a UserSig, a PrivateMapKey is named for what it is.
    await setKnown({ usedAs: "userSig" });
    await paste(vectors.sign[1].userSig);
    await waitDecoded("xiaojun");
    await page.locator('#findings > li[data-code="PRIVATEMAPKEY_AS_USERSIG"]').waitFor();
    await setKnown();
  });

  await check("a sound token: no problem found, and the signature is said to be unchecked", async () => {
    const response = await fetch(`${base}/v1/usersig`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Api-Key": DEMO_API_KEY },
      body: JSON.stringify({ userId: "e2e_sound", expireSeconds: 600 }),
      signal: AbortSignal.timeout(STEP_MS),
    });
    const { userSig } = await response.json();
    await setKnown({ sdkAppId: "1400000000", userId: "e2e_sound", usedAs: "userSig" });
    await paste(userSig);
    await waitDecoded("e2e_sound");
    await page.locator("#diagnosis-summary", { hasText: "No problem found in the token." }).waitFor();
    equal((await findings()).length, 0, "no findings");
    match(await text("diagnosis-notes"), /signature is not checked here/, "note");
    await setKnown();
  });

  await check("after Decode, the decoded result comes into view at 1280x900 and takes the focus", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await paste(vectors.sign[1].userSig);
    await waitDecoded("xiaojun");
    const before = await page.locator("#result-heading").boundingBox();
    assert(
      before && before.y > 900,
      `the result starts at ${before?.y} px: it is not below the fold, so this check proves nothing`,
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole("button", { name: "Decode" }).click();
    await page.waitForFunction(
      () => {
        const box = document.getElementById("result-heading")?.getBoundingClientRect();
        return box !== undefined && box.top >= 0 && box.bottom <= window.innerHeight;
      },
      undefined,
      { timeout: STEP_MS },
    );
    equal(await page.evaluate(() => document.activeElement?.id), "result-heading", "focus");
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  await check("the page has a favicon", async () => {
    equal(await page.locator('link[rel="icon"]').getAttribute("href"), "/favicon.svg", "link");
    const response = await fetch(`${base}/favicon.svg`, { signal: AbortSignal.timeout(STEP_MS) });
    equal(response.status, 200, "status");
    equal(response.headers.get("content-type"), "image/svg+xml", "type");
    match(await response.text(), /^<svg /, "body");
  });

  // The page's files are static assets (build/assets/, wrangler.toml [assets]): wrangler dev puts
  // the same asset router in front of the Worker as Cloudflare does. With run_worker_first every
  // path reaches the Worker, so a file's own path is the Worker's 404 (with its request id), never
  // the raw file without the page's headers or the `"inspector": false` switch.
  await check("the built files are not reachable at their own paths (the Worker runs first)", async () => {
    for (const path of [
      "/index.html",
      "/inspector/",
      "/inspector/index.html",
      "/inspector/inspector.js",
      "/inspector/favicon.svg",
    ]) {
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(STEP_MS) });
      equal(response.status, 404, `${path} status`);
      equal(response.headers.get("content-type"), "application/problem+json", `${path} type`);
      assert(response.headers.get("x-request-id"), `${path}: no X-Request-Id (not answered by the Worker)`);
      await response.arrayBuffer();
    }
    const openapi = await fetch(`${base}/openapi.json`, { signal: AbortSignal.timeout(STEP_MS) });
    equal(openapi.status, 200, "/openapi.json status");
    assert(openapi.headers.get("x-request-id"), "/openapi.json: no X-Request-Id (not answered by the Worker)");
    equal((await openapi.json()).openapi, "3.1.0", "/openapi.json");
  });

  await check("Clear empties the box and the result", async () => {
    await paste(vectors.sign[0].userSig);
    await waitDecoded("xiaojun");
    await page.getByRole("button", { name: "Clear" }).click();
    equal(await page.getByLabel("UserSig or PrivateMapKey").inputValue(), "", "textarea");
    equal(await page.locator("#result").isVisible(), false, "result hidden");
    equal(await text("token-error"), "", "error");
  });

  await check("a fresh token counts down and turns expired live", async () => {
    const response = await fetch(`${base}/v1/usersig`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Api-Key": DEMO_API_KEY },
      body: JSON.stringify({ userId: "e2e_live", expireSeconds: 3 }),
      signal: AbortSignal.timeout(STEP_MS),
    });
    const body = await response.json();
    equal(response.status, 200, `POST /v1/usersig with the demo API key (${JSON.stringify(body)})`);
    await paste(body.userSig);
    await waitDecoded("e2e_live");
    equal(await text("f-state"), "not expired", "state");
    match(await text("f-countdown"), /^expires (in \d+ s|now)$/, "countdown");
    equal(await text("f-lifetime"), "3 seconds (3 s)", "lifetime");
    await page
      .locator("#f-state")
      .filter({ hasText: /^expired$/ })
      .waitFor({ timeout: 8_000 });
    match(await text("f-countdown"), /^expired \d+ s ago$/, "countdown after expiry");
  });

  let guestUserId;
  let guestUserSig;
  await check("the panels in reading order: token, diagnosis, decoded result, then the guest panel", async () => {
    await page.locator("#guest").waitFor({ state: "visible" });
    const order = await page
      .locator("main > section.panel")
      .evaluateAll((sections) => sections.map((section) => section.id || "input"));
    equal(order.join(), "input,diagnosis,result,guest", "DOM order");
  });

  await check("the guest button gets a guest UserSig and shows it decoded", async () => {
    await page.locator("#guest").waitFor({ state: "visible" });
    await page.getByRole("button", { name: "Get a guest UserSig" }).click();
    await waitGuest(/^Got a UserSig for guest /);
    guestUserSig = await page.getByLabel("UserSig or PrivateMapKey").inputValue();
    guestUserId = await text("f-userid");
    match(guestUserId, /^guest_[a-z2-7]{16}$/, "guest UserID");
    equal(await text("f-sdkappid"), "1400000000", "SDKAppID");
    equal(await text("f-state"), "not expired", "state");
    match(await text("f-countdown"), /^expires in (59 min \d+ s|1 h)$/, "countdown");
    equal(await text("f-lifetime"), "1 hour (3600 s)", "lifetime");
    match(await text("guest-status"), new RegExp(`guest ${guestUserId}, valid for 1 hour`), "status");
    equal(await text("guest-error"), "", "guest error");
  });

  await check("the guest UserSig verifies through the broker's POST /v1/verify", async () => {
    assert(guestUserSig, "no guest UserSig");
    const response = await fetch(`${base}/v1/verify`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Api-Key": DEMO_API_KEY },
      body: JSON.stringify({ userSig: guestUserSig, userId: guestUserId }),
      signal: AbortSignal.timeout(STEP_MS),
    });
    const body = await response.json();
    equal(response.status, 200, `verify status (${JSON.stringify(body)})`);
    equal(body.valid, true, "valid");
    equal(body.userId, guestUserId, "userId");
    equal(body.sdkAppId, 1400000000, "sdkAppId");
  });

  await check("the copy button puts the guest UserSig on the clipboard", async () => {
    await page.getByRole("button", { name: "Copy the guest UserSig" }).click();
    await page.locator("#guest-status").filter({ hasText: "on the clipboard" }).waitFor();
    equal(await page.evaluate(() => navigator.clipboard.readText()), guestUserSig, "clipboard");
  });

  await check("the guest button works from the keyboard and keeps the same guest", async () => {
    await page.getByRole("button", { name: "Get a guest UserSig" }).focus();
    await page.keyboard.press("Enter");
    await waitGuest(new RegExp(`^Got a UserSig for guest ${guestUserId},`));
    equal(await text("f-userid"), guestUserId, "same guest (ticket renewed)");
  });

  await check("a phone-width layout (375 px) does not scroll sideways", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await paste(vectors.sign[2].userSig);
    await waitDecoded("xiaojun");
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    assert(widths.scroll <= widths.client, `page is ${widths.scroll} px wide in a ${widths.client} px viewport`);
    const textarea = await page.getByLabel("UserSig or PrivateMapKey").boundingBox();
    assert(textarea && textarea.x >= 0 && textarea.x + textarea.width <= 375, "textarea fits the screen");
    await page.screenshot({ path: join(resultsDir, "inspector-phone.png"), fullPage: true });
  });

  await check("nothing was loaded from another origin and no CSP rule was broken", async () => {
    equal(foreignRequests.join(" "), "", "requests to other origins");
    equal(cspViolations.join(" | "), "", "CSP violations");
    equal(pageErrors.join(" | "), "", "page errors");
  });
}

try {
  await main();
} catch (error) {
  failed++;
  console.log(`FAIL setup: ${error instanceof Error ? error.message : String(error)}`);
}
clearTimeout(watchdog);
await cleanup();
finish(failed === 0 ? 0 : 1);
