// Guest mode: the ticket from the first answer is sent with every renewal (same UserID), survives a
// reload through the app's storage adapter, is dropped when expired or refused, and Turnstile is
// asked for only when becoming a new guest.
import { describe, expect, it } from "vitest";
import type { GuestTicketStorage } from "../../src/client/index.js";
import { problem, rejectionOf, setup, sigAnswer } from "./helpers.js";

const HOUR_MS = 3_600_000;

function memoryStorage(initial: string | null = null) {
  const writes: (string | null)[] = [];
  let value = initial;
  const storage: GuestTicketStorage = {
    get: () => value,
    set: (next) => {
      writes.push(next);
      value = next;
    },
  };
  return { storage, writes, read: () => value };
}

describe("guest mode", () => {
  it("sends no credentials first, then the ticket with every renewal, keeping the UserID", async () => {
    const { source, clock, calls } = setup(
      (clock) => [
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
      ],
      { guest: true },
    );
    expect((await source.get()).userId).toBe("guest_1");
    await clock.advance(HOUR_MS - 300_000);
    await clock.advance(HOUR_MS - 300_000);
    expect(calls.map((call) => call.body)).toEqual([{}, { guestTicket: "ticket-1" }, { guestTicket: "ticket-1" }]);
    expect(calls.every((call) => !call.headers.has("Authorization"))).toBe(true);
    source.close();
  });

  it("keeps the ticket in the storage adapter (written once), so a reload renews the same guest", async () => {
    const memory = memoryStorage();
    const first = setup(
      (clock) => [
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
      ],
      { guest: { storage: memory.storage } },
    );
    await first.source.get();
    await first.clock.advance(HOUR_MS - 300_000);
    expect(memory.writes).toHaveLength(1);
    expect(memory.read()).not.toBeNull();
    first.source.close();

    // "Reload": a new source over the same storage.
    const second = setup((clock) => [sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" })], {
      guest: { storage: memory.storage },
    });
    expect((await second.source.get()).userId).toBe("guest_1");
    expect(second.calls[0]?.body).toEqual({ guestTicket: "ticket-1" });
    second.source.close();
  });

  it("reads storage once even for concurrent first calls", async () => {
    let reads = 0;
    const stored = JSON.stringify({ v: 1, ticket: "ticket-1", expiresAt: 4_000_000_000 });
    const { source, calls } = setup((clock) => [sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" })], {
      guest: {
        storage: {
          get: async () => {
            reads++;
            return stored;
          },
          set: () => {},
        },
      },
    });
    await Promise.all([source.get(), source.get(), source.get()]);
    expect(reads).toBe(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toEqual({ guestTicket: "ticket-1" });
    source.close();
  });

  it("does not send a stored ticket past its expiry, and ignores storage that is not ours or fails", async () => {
    for (const storage of [
      memoryStorage(JSON.stringify({ v: 1, ticket: "old", expiresAt: 1_000_000_000 })).storage,
      memoryStorage("not json").storage,
      {
        get: () => {
          throw new Error("SecurityError");
        },
        set: () => {
          throw new Error("QuotaExceededError");
        },
      },
    ]) {
      const { source, calls } = setup((clock) => [sigAnswer(clock, { userId: "guest_2", guestTicket: "ticket-2" })], {
        guest: { storage },
      });
      expect((await source.get()).userId).toBe("guest_2");
      expect(calls[0]?.body).toEqual({});
      source.close();
    }
  });

  it("when the ticket is refused (401), forgets it and continues as a new guest, announced by `refresh`", async () => {
    const memory = memoryStorage();
    const { source, clock, calls } = setup(
      (clock) => [
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        () => problem(401, "UNAUTHORIZED", "The credentials are missing or not valid."),
        sigAnswer(clock, { userId: "guest_2", guestTicket: "ticket-2" }),
      ],
      { guest: { storage: memory.storage } },
    );
    const refreshed: string[] = [];
    source.on("refresh", (result) => refreshed.push(result.userId));
    await source.get();
    await clock.advance(HOUR_MS - 300_000);
    expect(calls.map((call) => call.body)).toEqual([{}, { guestTicket: "ticket-1" }, {}]);
    expect(refreshed).toEqual(["guest_2"]);
    expect(memory.writes.map((w) => (w === null ? null : JSON.parse(w).ticket))).toEqual([
      "ticket-1",
      null,
      "ticket-2",
    ]);
    source.close();
  });

  it("asks getTurnstileToken only when becoming a new guest", async () => {
    let asked = 0;
    const { source, clock, calls } = setup(
      (clock) => [
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
      ],
      { guest: { getTurnstileToken: () => `turnstile-${++asked}` } },
    );
    await source.get();
    await clock.advance(HOUR_MS - 300_000);
    expect(calls.map((call) => call.body)).toEqual([{ turnstileToken: "turnstile-1" }, { guestTicket: "ticket-1" }]);
    expect(asked).toBe(1);
    source.close();
  });

  it("surfaces TURNSTILE_REQUIRED with its code, and a failing getTurnstileToken as TURNSTILE_TOKEN_ERROR", async () => {
    const required = setup(
      () => [() => problem(403, "TURNSTILE_REQUIRED", "This app requires a Turnstile token (turnstileToken).")],
      { guest: true },
    );
    expect(await rejectionOf(required.source.get())).toMatchObject({ status: 403, code: "TURNSTILE_REQUIRED" });
    required.source.close();

    const failing = setup(() => [], {
      guest: {
        getTurnstileToken: () => {
          throw new Error("widget not rendered");
        },
      },
    });
    expect(await rejectionOf(failing.source.get())).toMatchObject({ code: "TURNSTILE_TOKEN_ERROR" });
    failing.source.close();
  });
});
