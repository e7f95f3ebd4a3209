/**
 * zlib-format (RFC 1950) deflate and bounded inflate on CompressionStream/DecompressionStream.
 *
 * A UserSig is signed on every issuance, and inside workerd the stream machinery, not zlib, is most
 * of a signature's cost. deflate feeds the stream through its writer and lets
 * `new Response(readable).arrayBuffer()` drain it, which workerd does natively: about 40% cheaper
 * there than a JS reader loop, for identical bytes. (In Node 20 it is about 20% dearer; the Worker
 * is what this is tuned for. Figures: `npm run bench`, BENCHMARKS.md.) inflateBounded keeps its
 * reader loop: it must count the output as it arrives to stop a zip bomb early.
 */

import { INFLATED_MAX_BYTES } from "./limits.js";

export async function deflate(input: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // Not awaited: the writes complete only as the readable side is drained below. A failure
  // surfaces through the drain, so these promises are only kept from being reported unhandled.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(ignore);
  writer.close().catch(ignore);
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

/** Outcome of a bounded inflate: the bytes, or why there are none. */
export type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: "too-large" | "corrupt" };

/**
 * Inflates at most `maxBytes` bytes. The input is fed in small slices and the output is counted as
 * it arrives, so a zip bomb is abandoned after at most one slice's worth of output past the cap
 * (deflate expands at most ~1032x, so INPUT_SLICE_BYTES * 1032 bytes) whatever the runtime's
 * stream implementation buffers.
 */
export async function inflateBounded(input: Uint8Array, maxBytes: number = INFLATED_MAX_BYTES): Promise<InflateResult> {
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const pump = (async () => {
    for (let offset = 0; offset < input.length; offset += INPUT_SLICE_BYTES) {
      await writer.write(input.subarray(offset, offset + INPUT_SLICE_BYTES) as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  pump.catch(ignore);
  try {
    return { ok: true, bytes: await readAll(reader, maxBytes) };
  } catch (error) {
    if (error === TOO_LARGE) {
      await reader.cancel().catch(ignore);
      return { ok: false, reason: "too-large" };
    }
    return { ok: false, reason: "corrupt" };
  }
}

const INPUT_SLICE_BYTES = 256;
const TOO_LARGE = Symbol("too-large");

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) throw TOO_LARGE;
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function ignore(): void {}
