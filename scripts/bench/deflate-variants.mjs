// Ways of driving CompressionStream('deflate') over one small buffer (a ~200-byte UserSig JSON),
// compared by the benchmark: each must return exactly the bytes src/usersig/deflate.ts returns.
// Web standards only, so the same code runs in Node and in workerd.
import { deflate as srcDeflate } from "../../src/usersig/deflate.ts";

function ignore() {}

/** Drains a reader into one Uint8Array (the same loop src/usersig/deflate.ts uses, unbounded). */
async function readAll(reader) {
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Whatever src/usersig/deflate.ts does now: the reference the others must match byte for byte. */
async function src(bytes) {
  return srcDeflate(bytes);
}

/** The writer is fed without awaiting, then a reader loop drains it (src's way until this bench). */
async function writerReader(bytes) {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
  return readAll(stream.readable.getReader());
}

/** Same, but every promise is awaited together: does skipping the awaits matter? */
async function writerReaderAll(bytes) {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const [, , out] = await Promise.all([writer.write(bytes), writer.close(), readAll(stream.readable.getReader())]);
  return out;
}

/** Writer fed directly, readable consumed by Response.arrayBuffer (native drain in workerd). */
async function writerResponse(bytes) {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

/** The common idiom: Blob -> stream -> pipeThrough -> Response.arrayBuffer. */
async function blobPipeResponse(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Response body as the source instead of a Blob. */
async function responseBodyPipeResponse(bytes) {
  const stream = new Response(bytes).body.pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Blob source, readable drained by hand. */
async function blobPipeReader(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return readAll(stream.getReader());
}

/** A JS ReadableStream source that enqueues the one chunk, drained by hand. */
async function jsSourcePipeReader(bytes) {
  const source = new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return readAll(source.pipeThrough(new CompressionStream("deflate")).getReader());
}

/** Writer fed directly, readable read with a BYOB reader into one buffer (if the runtime allows it). */
async function writerByob(bytes) {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
  const reader = stream.readable.getReader({ mode: "byob" });
  // zlib's worst case for a small input is len + ~0.1% + 11 bytes of framing; 64 bytes of slack is ample.
  // Each read transfers the buffer, so the next view is taken from the one the read hands back.
  let buffer = new ArrayBuffer(bytes.length + 64);
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buffer, offset));
    if (value) buffer = value.buffer;
    if (done) break;
    offset += value.byteLength;
    if (offset === buffer.byteLength) throw new Error("byob: buffer too small");
  }
  return new Uint8Array(buffer, 0, offset);
}

/** Writer fed directly, readable consumed by Response.bytes() where the runtime has it. */
async function writerResponseBytes(bytes) {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
  return new Response(stream.readable).bytes();
}

/** Source and sink both native: Blob stream piped into the writable, Response drains the readable. */
async function blobPipeToResponse(bytes) {
  const stream = new CompressionStream("deflate");
  new Blob([bytes]).stream().pipeTo(stream.writable).catch(ignore);
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

/**
 * Not a deflate: the same writer + Response plumbing over an identity transform, to separate what
 * the stream machinery costs from what zlib costs. workerd's IdentityTransformStream is its native
 * (internal) kind of stream, as CompressionStream is; Node has only the JS TransformStream.
 */
export async function identityPlumbing(bytes) {
  const Identity = globalThis.IdentityTransformStream ?? TransformStream;
  const stream = new Identity();
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

export const SRC_VARIANT = "src/usersig deflate()";

export const deflateVariants = {
  [SRC_VARIANT]: src,
  "writer + reader loop, unawaited": writerReader,
  "writer + reader loop, Promise.all": writerReaderAll,
  "writer + new Response(readable)": writerResponse,
  "Blob.pipeThrough + Response": blobPipeResponse,
  "Response.body.pipeThrough + Response": responseBodyPipeResponse,
  "Blob.pipeThrough + reader": blobPipeReader,
  "JS ReadableStream.pipeThrough + reader": jsSourcePipeReader,
  "writer + BYOB reader": writerByob,
  "writer + Response.bytes()": writerResponseBytes,
  "Blob.pipeTo(writable) + Response(readable)": blobPipeToResponse,
};
