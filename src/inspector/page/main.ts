/**
 * The inspector page (GET /): decodes a pasted UserSig with the real core (src/usersig) in the
 * browser, says what is wrong with it (the doctor, src/doctor, as `usersig-broker doctor` does), and,
 * when an app of this broker allows guests, gets a guest UserSig from it.
 *
 * Nothing pasted is sent anywhere: the only requests are GET /v1/apps and, on a click,
 * POST /v1/usersig (plus Cloudflare Turnstile when the app requires it). DOM text is only ever set
 * with textContent, so a decoded field can never become markup.
 */

import { type Diagnosis, type DoctorInput, diagnose } from "../../doctor/index.js";
import { countdown, formatDuration, isExpired, isoTime } from "../../doctor/time.js";
import type { DecodedUserSig } from "../../usersig/index.js";
import { describeMask, extractToken, guestProblemText, hex, localTime, PRIVILEGE_ROWS } from "./format.js";

const formatLifetime = (seconds: number) => formatDuration(seconds, "words");

/** One app as GET /v1/apps describes it. */
interface PublicApp {
  sdkAppId: number;
  name?: string;
  guests: { enabled: boolean; turnstileSiteKey?: string; turnstileAction?: string };
}

interface GuestResponse {
  sdkAppId: number;
  userId: string;
  userSig: string;
  expireSeconds: number;
  expiresAt: number;
  guestTicket?: string;
}

interface TurnstileApi {
  render(container: HTMLElement, options: Record<string, unknown>): string;
  reset(widgetId: string): void;
  remove(widgetId: string): void;
}

declare global {
  interface Window {
    turnstile?: TurnstileApi;
  }
}

const TURNSTILE_SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
const REQUEST_TIMEOUT_MS = 15_000;

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

function setText(id: string, text: string): void {
  el(id).textContent = text;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// --- Decoding -------------------------------------------------------------------------------

let decodeSequence = 0;
let ticking: ReturnType<typeof setInterval> | undefined;

/**
 * `reveal`: bring the answer into view when the person asked for it (Decode, a paste, the guest
 * button); typing does not move the page. `focus` also moves the keyboard focus to it (Decode).
 */
interface Reveal {
  reveal?: boolean;
  focus?: boolean;
}

async function decodeInput(how: Reveal = {}): Promise<void> {
  const sequence = ++decodeSequence;
  const raw = el<HTMLTextAreaElement>("token").value;
  stopTicking();
  if (raw.trim() === "") {
    showNothing();
    return;
  }
  const { token, note } = extractToken(raw);
  let diagnosis: Diagnosis;
  try {
    if (typeof DecompressionStream === "undefined") throw new Error("no DecompressionStream");
    diagnosis = await diagnose({ token, now: nowSeconds(), ...known() });
  } catch {
    if (sequence !== decodeSequence) return;
    showUnsupported(note);
    return;
  }
  // A newer input arrived while this one was inflating: its result wins.
  if (sequence !== decodeSequence) return;
  showDiagnosis(diagnosis);
  if (diagnosis.decoded) showDecoded(diagnosis.decoded, note, diagnosis);
  else showError(diagnosis, note);
  if (how.reveal) reveal(diagnosis.decoded ? "result" : "diagnosis", how.focus === true);
}

/** What the person said the token was used with (the optional fields). */
function known(): Omit<DoctorInput, "token" | "now"> {
  const sdkAppIdText = el<HTMLInputElement>("expect-sdkappid").value.trim();
  const userId = el<HTMLInputElement>("expect-userid").value;
  const usedAs = el<HTMLSelectElement>("used-as").value;
  const sdkAppId = /^[0-9]{1,10}$/.test(sdkAppIdText) ? Number(sdkAppIdText) : undefined;
  return {
    ...(sdkAppId !== undefined ? { sdkAppId } : {}),
    ...(userId !== "" ? { userId } : {}),
    ...(usedAs === "userSig" || usedAs === "privateMapKey" ? { usedAs } : {}),
  };
}

function reveal(id: string, focus: boolean): void {
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  el(id).scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
  if (focus) el(`${id}-heading`).focus({ preventScroll: true });
}

function showNothing(): void {
  el("result").hidden = true;
  el("diagnosis").hidden = true;
  setText("token-error", "");
  setText("input-note", "");
  setText("summary", "");
  el("token").setAttribute("aria-invalid", "false");
}

function showUnsupported(note: string | undefined): void {
  showNothing();
  setText("input-note", note ?? "");
  setText(
    "token-error",
    "This browser cannot decode UserSigs (it lacks DecompressionStream): try a current version of Chrome, Edge, Firefox or Safari.",
  );
}

/**
 * Not decodable: the alert says so once, by the field; what is wrong, and why, is the diagnosis's
 * (each problem is shown in one place only).
 */
function showError(diagnosis: Diagnosis, note: string | undefined): void {
  el("result").hidden = true;
  setText("summary", "");
  setText("input-note", note ?? "");
  const n = diagnosis.findings.length;
  setText(
    "token-error",
    n === 0
      ? "This could not be read as a UserSig."
      : `This could not be decoded as a UserSig: see the diagnosis below (${n === 1 ? "1 problem" : `${n} problems`}).`,
  );
  el("token").setAttribute("aria-invalid", "true");
}

/** The doctor writes commands and headers in `backticks`: shown as code, never as literal backticks. */
function withCode(text: string): Node[] {
  return text.split("`").map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement("code");
    code.textContent = part;
    return code;
  });
}

/** The diagnosis panel: the findings, most likely first, or that none was found. */
function showDiagnosis(d: Diagnosis): void {
  const items = d.findings.map((finding) => {
    const li = document.createElement("li");
    li.dataset.code = finding.code;
    const title = document.createElement("span");
    title.className = "finding-title";
    title.textContent = finding.title;
    const code = document.createElement("span");
    code.className = "finding-code";
    code.textContent = ` ${finding.code}`;
    const detail = document.createElement("p");
    detail.replaceChildren(...withCode(finding.detail));
    li.append(title, code, detail);
    if (finding.tencentErrors.length > 0) {
      const tencent = document.createElement("p");
      tencent.className = "hint";
      tencent.textContent = `Tencent reports it as: ${finding.tencentErrors.join(", ")}.`;
      li.append(tencent);
    }
    return li;
  });
  el("findings").replaceChildren(...items);
  const n = d.findings.length;
  setText(
    "diagnosis-summary",
    n === 0 ? "No problem found in the token." : `${n === 1 ? "1 problem" : `${n} problems`}, most likely first:`,
  );
  // The key never comes to a browser: say where the signature can be checked instead of the doctor's "give the key".
  const notes = d.notes.filter((note) => !note.startsWith("Signature not checked"));
  if (d.signature === "not-checked" && d.decoded) {
    notes.push(
      "The signature is not checked here: that needs the app's secret key, which never comes to a browser (the CLI's usersig-broker doctor with the key, or POST /v1/verify, checks it).",
    );
  }
  el("diagnosis-notes").replaceChildren(
    ...notes.map((note) => {
      const li = document.createElement("li");
      li.replaceChildren(...withCode(note));
      return li;
    }),
  );
  el("diagnosis").hidden = false;
}

function showDecoded(d: DecodedUserSig, note: string | undefined, diagnosis: Diagnosis): void {
  setText("token-error", "");
  setText("input-note", note ?? "");
  el("token").setAttribute("aria-invalid", "false");

  const map = d.privateMap;
  const kind = map ? "PrivateMapKey" : "UserSig";
  setText("f-kind", kind);
  setText("f-sdkappid", String(d.sdkAppId));
  setText("f-userid", d.userId);
  setText("f-version", d.version);
  setTime("f-issued", d.issuedAt);
  setTime("f-expires", d.expiresAt);
  setText("f-lifetime", `${formatLifetime(d.expireSeconds)} (${d.expireSeconds} s)`);

  if (!d.userBuf) {
    setText("f-userbuf", "none");
    el("f-userbuf-details").hidden = true;
  } else {
    const what = map ? "the room and privileges of a PrivateMapKey" : "not a PrivateMapKey's layout";
    setText("f-userbuf", `${d.userBuf.length} bytes: ${what}`);
    setText("f-userbuf-hex", hex(d.userBuf));
    el("f-userbuf-details").hidden = false;
  }

  el("room").hidden = !map;
  if (map) {
    if (map.strRoomId !== undefined) {
      setText("f-room", JSON.stringify(map.strRoomId));
      setText("f-room-kind", "(string room, strRoomId)");
    } else {
      setText("f-room", String(map.roomId));
      setText("f-room-kind", "(numeric room, roomId)");
    }
    setTime("f-room-expires", map.expiresAt);
    const drift = map.expiresAt - d.expiresAt;
    setText(
      "f-room-expires-note",
      drift === 0
        ? "Same as the token's expiry."
        : `${Math.abs(drift)} s ${drift > 0 ? "after" : "before"} the token's expiry.`,
    );
    setText("f-privileges", describeMask(map.privileges));
    renderPrivileges(map.privileges);
  }

  el("result").hidden = false;
  updateClock(d);
  ticking = setInterval(() => updateClock(d), 1000);
  const now = nowSeconds();
  const problems = diagnosis.findings.length;
  setText(
    "summary",
    `Decoded a ${kind} of app ${d.sdkAppId} for ${d.userId}: ${isExpired(d.expiresAt, now) ? "expired" : "not expired"}${
      problems > 0 ? `; ${problems === 1 ? "1 problem" : `${problems} problems`} found, see the diagnosis` : ""
    }.`,
  );
}

function setTime(prefix: string, unixSeconds: number): void {
  const local = el<HTMLTimeElement>(`${prefix}-local`);
  const iso = isoTime(unixSeconds);
  local.dateTime = iso;
  local.textContent = localTime(unixSeconds);
  setText(`${prefix}-iso`, `${iso} · unix ${unixSeconds}`);
}

function renderPrivileges(mask: number): void {
  const rows = PRIVILEGE_ROWS.map(({ name, bit, label }) => {
    const granted = (mask & bit) !== 0;
    const tr = document.createElement("tr");
    tr.dataset.privilege = name;
    tr.dataset.granted = String(granted);
    const th = document.createElement("th");
    th.scope = "row";
    const code = document.createElement("code");
    code.textContent = name;
    th.append(`${label} `, code);
    const bitCell = document.createElement("td");
    bitCell.className = "mono";
    bitCell.textContent = String(bit);
    const state = document.createElement("td");
    state.className = granted ? "yes" : "no";
    state.textContent = granted ? "✓ granted" : "✗ not granted";
    tr.append(th, bitCell, state);
    return tr;
  });
  el("privilege-rows").replaceChildren(...rows);
}

/** The countdown is not a live region: a screen reader hears the summary once, not every second. */
function updateClock(d: DecodedUserSig): void {
  const now = nowSeconds();
  const expired = isExpired(d.expiresAt, now);
  setText("f-countdown", countdown(d.expiresAt, now));
  const badge = el("f-state");
  badge.textContent = expired ? "expired" : "not expired";
  badge.className = `badge ${expired ? "bad" : "good"}`;
}

function stopTicking(): void {
  if (ticking !== undefined) clearInterval(ticking);
  ticking = undefined;
}

// --- Guests ---------------------------------------------------------------------------------

interface GuestState {
  apps: PublicApp[];
  /** A guest keeps its identity across clicks with its ticket (memory only, never stored). */
  tickets: Map<number, string>;
  turnstileWidget?: string | undefined;
  /** Site key and action the widget was rendered with. */
  turnstileWidgetKey?: string | undefined;
  turnstileToken?: string | undefined;
  lastUserSig?: string;
}

const guest: GuestState = { apps: [], tickets: new Map() };

async function loadApps(): Promise<void> {
  let apps: PublicApp[];
  try {
    const response = await fetch("/v1/apps", {
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) return;
    apps = ((await response.json()) as { apps: PublicApp[] }).apps;
  } catch {
    return; // The decoder works without the broker; the guest panel just stays hidden.
  }
  guest.apps = apps.filter((app) => app.guests.enabled);
  if (guest.apps.length === 0) return;
  const select = el<HTMLSelectElement>("guest-app");
  select.replaceChildren(
    ...guest.apps.map((app) => {
      const option = document.createElement("option");
      option.value = String(app.sdkAppId);
      option.textContent = app.name ? `${app.sdkAppId} (${app.name})` : String(app.sdkAppId);
      return option;
    }),
  );
  el("guest-app-field").hidden = guest.apps.length < 2;
  const only = guest.apps.length === 1 ? guest.apps[0] : undefined;
  if (only) setText("guest-app-single", `For app ${only.sdkAppId}${only.name ? ` (${only.name})` : ""}.`);
  select.addEventListener("change", () => setUpTurnstile());
  el("guest").hidden = false;
  setUpTurnstile();
}

function selectedApp(): PublicApp | undefined {
  const id = Number(el<HTMLSelectElement>("guest-app").value);
  return guest.apps.find((app) => app.sdkAppId === id) ?? guest.apps[0];
}

/** Shows the Turnstile check when the selected app needs one for a new guest, hides it otherwise. */
function setUpTurnstile(): void {
  const app = selectedApp();
  const container = el("turnstile");
  const button = el<HTMLButtonElement>("guest-button");
  guest.turnstileToken = undefined;
  const siteKey = app?.guests.turnstileSiteKey;
  if (!app || siteKey === undefined || guest.tickets.has(app.sdkAppId)) {
    removeWidget();
    container.hidden = true;
    button.disabled = false;
    return;
  }
  button.disabled = true;
  container.hidden = false;
  setText("guest-status", "Complete the check to get a guest UserSig.");
  const action = app.guests.turnstileAction;
  const widgetKey = `${siteKey}|${action ?? ""}`;
  loadTurnstile()
    .then((turnstile) => {
      if (guest.turnstileWidget !== undefined && guest.turnstileWidgetKey === widgetKey) {
        turnstile.reset(guest.turnstileWidget);
        return;
      }
      removeWidget();
      guest.turnstileWidgetKey = widgetKey;
      guest.turnstileWidget = turnstile.render(container, {
        sitekey: siteKey,
        ...(action !== undefined ? { action } : {}),
        callback: (token: string) => {
          guest.turnstileToken = token;
          button.disabled = false;
          setText("guest-status", "Check passed: you can get a guest UserSig.");
        },
        "expired-callback": () => {
          guest.turnstileToken = undefined;
          button.disabled = true;
          setText("guest-status", "The check expired; complete it again.");
        },
        "error-callback": () => {
          guest.turnstileToken = undefined;
          button.disabled = true;
          setText("guest-status", "The check could not run; reload the page to try again.");
        },
      });
    })
    .catch(() => setText("guest-status", "The check (Cloudflare Turnstile) could not be loaded."));
}

function removeWidget(): void {
  if (guest.turnstileWidget !== undefined) window.turnstile?.remove(guest.turnstileWidget);
  guest.turnstileWidget = undefined;
  guest.turnstileWidgetKey = undefined;
  el("turnstile").replaceChildren();
}

let turnstileLoading: Promise<TurnstileApi> | undefined;

function loadTurnstile(): Promise<TurnstileApi> {
  turnstileLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = TURNSTILE_SCRIPT;
    script.async = true;
    script.addEventListener("load", () =>
      window.turnstile ? resolve(window.turnstile) : reject(new Error("no turnstile")),
    );
    script.addEventListener("error", () => reject(new Error("turnstile did not load")));
    document.head.append(script);
  });
  return turnstileLoading;
}

async function getGuestUserSig(): Promise<void> {
  const app = selectedApp();
  if (!app) return;
  const button = el<HTMLButtonElement>("guest-button");
  button.disabled = true;
  setText("guest-error", "");
  setText("guest-status", "Asking the broker for a guest UserSig…");
  el("guest").setAttribute("aria-busy", "true");
  try {
    let response = await requestGuest(app, true);
    if (response.status === 401 && guest.tickets.has(app.sdkAppId)) {
      // The ticket expired or the app's key changed: start again as a new guest.
      guest.tickets.delete(app.sdkAppId);
      if (app.guests.turnstileSiteKey !== undefined) {
        setText("guest-error", "Your guest identity has expired: complete the check again for a new one.");
        return;
      }
      response = await requestGuest(app, false);
    }
    if (!response.ok) {
      showGuestProblem(response, await response.json().catch(() => undefined));
      return;
    }
    const body = (await response.json()) as GuestResponse;
    if (body.guestTicket) guest.tickets.set(app.sdkAppId, body.guestTicket);
    guest.lastUserSig = body.userSig;
    el("copy").hidden = false;
    setText("copy", "Copy the guest UserSig");
    const textarea = el<HTMLTextAreaElement>("token");
    textarea.value = body.userSig;
    await decodeInput({ reveal: true });
    setText(
      "guest-status",
      `Got a UserSig for guest ${body.userId}, valid for ${formatLifetime(body.expireSeconds)}. It is decoded below.`,
    );
  } catch {
    setText("guest-error", "The broker could not be reached. Check the connection and try again.");
    setText("guest-status", "");
  } finally {
    el("guest").removeAttribute("aria-busy");
    // A Turnstile token is good for one request: a new guest needs a fresh check. With a ticket
    // (or without Turnstile) the button is simply usable again.
    if (app.guests.turnstileSiteKey !== undefined && !guest.tickets.has(app.sdkAppId)) setUpTurnstile();
    else button.disabled = false;
  }
}

function requestGuest(app: PublicApp, withTicket: boolean): Promise<Response> {
  const ticket = withTicket ? guest.tickets.get(app.sdkAppId) : undefined;
  const body: Record<string, unknown> = { sdkAppId: app.sdkAppId };
  if (ticket) body.guestTicket = ticket;
  else if (guest.turnstileToken) body.turnstileToken = guest.turnstileToken;
  return fetch("/v1/usersig", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

function showGuestProblem(response: Response, problem: unknown): void {
  setText("guest-error", guestProblemText(response.status, problem, response.headers.get("Retry-After")));
  setText("guest-status", "");
}

async function copyGuestUserSig(): Promise<void> {
  const text = guest.lastUserSig;
  if (!text) return;
  const button = el<HTMLButtonElement>("copy");
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
    setText("guest-status", "The guest UserSig is on the clipboard.");
  } catch {
    // No clipboard permission (or an old browser): select the token so the person can copy it.
    const textarea = el<HTMLTextAreaElement>("token");
    textarea.focus();
    textarea.select();
    setText(
      "guest-status",
      "Copying is not allowed here: the UserSig is selected in the box above, copy it from there.",
    );
  }
}

// --- Wiring ---------------------------------------------------------------------------------

function start(): void {
  const textarea = el<HTMLTextAreaElement>("token");
  textarea.addEventListener("input", (event) => {
    // The guest message speaks of the token it put in the box; typing replaces that token.
    if (textarea.value !== guest.lastUserSig) setText("guest-status", "");
    void decodeInput({ reveal: (event as InputEvent).inputType === "insertFromPaste" });
  });
  for (const id of ["expect-sdkappid", "expect-userid", "used-as"]) {
    el(id).addEventListener(id === "used-as" ? "change" : "input", () => void decodeInput());
  }
  el("decode-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void decodeInput({ reveal: true, focus: true });
  });
  el("clear").addEventListener("click", () => {
    textarea.value = "";
    void decodeInput();
    textarea.focus();
  });
  el("guest-button").addEventListener("click", () => void getGuestUserSig());
  el("copy").addEventListener("click", () => void copyGuestUserSig());
  // A token restored by the browser (back/forward) is decoded too.
  if (textarea.value.trim() !== "") void decodeInput();
  void loadApps();
}

start();
