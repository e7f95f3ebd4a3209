/**
 * Reading an answer of Tencent's to its end, but never more than `maxBytes`: a proxy or a broken
 * upstream must not make the Worker buffer an unbounded body. Used by the TRTC Cloud API client
 * (trtc.ts) and the Chat REST client (chat.ts).
 */

export class AnswerTooLarge extends Error {
  override readonly name = "AnswerTooLarge";
}

export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new AnswerTooLarge(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new Blob(chunks).text();
}
