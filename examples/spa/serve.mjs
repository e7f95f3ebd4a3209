#!/usr/bin/env node
// Serves this example on http://127.0.0.1:5173 (an origin the demo broker's CORS allows):
//   npm start                        # the demo broker on http://127.0.0.1:8787, in another terminal
//   node examples/spa/serve.mjs      # then open http://127.0.0.1:5173/
// Options: --port N (the page; the demo allows 5173 cross-origin, so for another port start the broker
// with `npm start -- --cors-origin http://127.0.0.1:N`), --endpoint URL (the broker).
// /client.js is the built client, dist/client.js (built here first if missing).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

const here = new URL("./", import.meta.url);
const root = new URL("../../", import.meta.url);
const clientFile = new URL("dist/client.js", root);

/** GET /, /index.html, /app.js and /client.js; 404 for anything else. */
export function handler(files) {
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    const file = files[path === "/" ? "/index.html" : path];
    if (req.method !== "GET" || !file) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-store" }).end(file.body);
  };
}

/** The example's files, read now: index.html, app.js and the built client. */
export async function exampleFiles() {
  return {
    "/index.html": { type: "text/html; charset=utf-8", body: await readFile(new URL("index.html", here)) },
    "/app.js": { type: "text/javascript; charset=utf-8", body: await readFile(new URL("app.js", here)) },
    "/client.js": { type: "text/javascript; charset=utf-8", body: await readFile(clientFile) },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const portText = option("--port", "5173") ?? "";
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) {
    console.error("example: --port needs a port number from 1 to 65535, e.g. --port 5174");
    process.exit(2);
  }
  const endpoint = option("--endpoint", "http://127.0.0.1:8787");
  if (!existsSync(clientFile)) {
    const { buildClient } = await import(new URL("scripts/build-client.mjs", root).href);
    const built = await buildClient();
    if (!built.built) throw new Error(`dist/client.js is missing and could not be built: ${built.reason}`);
  }
  const server = createServer(handler(await exampleFiles()));
  server.on("error", (error) => {
    const taken = error.code === "EADDRINUSE";
    console.error(
      taken
        ? `example: port ${port} on 127.0.0.1 is already in use: pick another with --port ${port === 65535 ? port - 1 : port + 1} (and start the broker with npm start -- --cors-origin http://127.0.0.1:${port === 65535 ? port - 1 : port + 1})`
        : `example: cannot listen on 127.0.0.1:${port}: ${error.message}`,
    );
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => {
    console.log(`example: http://127.0.0.1:${port}/?endpoint=${encodeURIComponent(endpoint)}`);
  });
}
