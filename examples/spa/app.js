// The example's logic: one guest source, four buttons. It imports the built client (dist/client.js,
// served as /client.js by serve.mjs); in an app with a bundler that is
// `import { createUserSigSource } from "usersig-broker/client"`.
// Credentials are shown by length and expiry only: a UserSig is a bearer credential.
import { createUserSigSource } from "/client.js";

const endpoint = new URLSearchParams(location.search).get("endpoint") ?? "http://127.0.0.1:8787";
const room = { strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"] };
const $ = (id) => document.getElementById(id);
$("endpoint").textContent = endpoint;

const KEY = "usersig-broker-example:guest";
const source = createUserSigSource({
  endpoint,
  guest: {
    // The guest keeps its UserID across reloads of this tab.
    storage: {
      get: () => sessionStorage.getItem(KEY),
      set: (value) => (value === null ? sessionStorage.removeItem(KEY) : sessionStorage.setItem(KEY, value)),
    },
  },
});

// The source returns the very same result object while it answers from its cache, so counting
// distinct objects counts the requests it made.
const seen = { sigs: new Set(), keys: new Set() };
const log = (line) => {
  $("log").textContent = `${new Date().toISOString().slice(11, 19)} ${line}\n${$("log").textContent}`;
};
const expiresIn = (expiresAt) => `${Math.round(expiresAt - Date.now() / 1000)} s`;

function showSig(result) {
  seen.sigs.add(result);
  $("user-id").textContent = result.userId;
  $("usersig").textContent = `${result.userSig.length} characters, expires in ${expiresIn(result.expiresAt)}`;
  $("usersig-count").textContent = String(seen.sigs.size);
}

function showKey(result) {
  seen.keys.add(result);
  const where = result.strRoomId ?? result.roomId;
  $("pmk-info").textContent =
    `room ${where}, privileges ${result.privileges}, expires in ${expiresIn(result.expiresAt)}`;
  $("pmk-count").textContent = String(seen.keys.size);
}

async function act(what, action) {
  try {
    await action();
    log(`${what}: ok`);
  } catch (error) {
    // UserSigBrokerError: `code` is stable, `requestId` is what to quote to the operator.
    log(`${what}: ${error.code ?? error.name} ${error.message}`);
  }
}

source.on("refresh", (result) => {
  showSig(result);
  log("refresh: the source replaced the UserSig");
});
source.on("error", (error) => log(`background refresh failed: ${error.code}`));

$("get").addEventListener("click", () => act("get()", async () => showSig(await source.get())));
$("invalidate").addEventListener("click", () =>
  act("invalidate()", async () => {
    // What an adapter does when the SDK refuses the UserSig: drop it, then ask again.
    source.invalidate();
    showSig(await source.get());
  }),
);
$("pmk").addEventListener("click", () =>
  act("getPrivateMapKey()", async () => showKey(await source.getPrivateMapKey(room))),
);
$("pmk-invalidate").addEventListener("click", () =>
  act("invalidatePrivateMapKey()", async () => {
    source.invalidatePrivateMapKey(room);
    showKey(await source.getPrivateMapKey(room));
  }),
);
window.addEventListener("pagehide", () => source.close());
document.body.dataset.ready = "true";
