// The bench worker's fetch handler: GET /run?op=NAME&n=N runs one batch and answers its timings as
// JSON; GET /ops lists the operations; GET /check answers what the correctness checks need.
import { runBatch } from "./runner.mjs";

export function makeHandler(loadOps, loadChecks) {
  let ops;
  return {
    async fetch(request) {
      // Built on the first request and kept for the isolate's life, like a real worker's globals.
      ops ??= await loadOps();
      const url = new URL(request.url);
      try {
        if (url.pathname === "/ops") return Response.json(Object.keys(ops));
        if (url.pathname === "/check") return Response.json(await loadChecks(ops));
        if (url.pathname === "/run") {
          const op = ops[url.searchParams.get("op")];
          if (!op) return Response.json({ error: "no such operation" }, { status: 404 });
          return Response.json(await runBatch(op, Number(url.searchParams.get("n"))));
        }
      } catch (error) {
        return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
      }
      return new Response("not found", { status: 404 });
    },
  };
}
