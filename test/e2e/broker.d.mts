// Types of test/e2e/broker.mjs for the TypeScript tests that start the demo broker.
export interface Broker {
  /** http://127.0.0.1:<port> */
  base: string;
  pid: number | undefined;
  /** What the broker printed so far. */
  output(): string;
  /** Stops its process group and removes its KV state. */
  stop(): Promise<void>;
}
export function freePort(): Promise<number>;
export function startBroker(options?: { readyMs?: number; args?: string[] }): Promise<Broker>;
