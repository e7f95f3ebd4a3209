#!/usr/bin/env node
// Serves this example on http://127.0.0.1:5173 (an origin the demo broker's CORS allows):
//   npm start                        # the demo broker on http://127.0.0.1:8787, in another terminal
//   node examples/spa/serve.mjs      # then open http://127.0.0.1:5173/
// Options: --port N (the page; the demo allows only 5173 cross-origin), --endpoint URL (the broker).
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
  const port = Number(option("--port", "5173"));
  const endpoint = option("--endpoint", "http://127.0.0.1:8787");
  if (!existsSync(clientFile)) {
    const { buildClient } = await import(new URL("scripts/build-client.mjs", root).href);
    const built = await buildClient();
    if (!built.built) throw new Error(`dist/client.js is missing and could not be built: ${built.reason}`);
  }
  const server = createServer(handler(await exampleFiles()));
  server.listen(port, "127.0.0.1", () => {
    console.log(`example: http://127.0.0.1:${port}/?endpoint=${encodeURIComponent(endpoint)}`);
  });
}
