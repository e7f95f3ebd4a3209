// What a verified Tencent callback does and answers (src/callbacks/decide.ts), under plain Node,
// with the moderation object played by recording ports: each decision, each answer, the audit
// fields, and which port was (or was not) called.
import { describe, expect, it } from "vitest";
import type { ChatCallback } from "../../src/callbacks/chat.js";
import { type CallbackPorts, decideChat, decideTrtc, type StepOutcome } from "../../src/callbacks/decide.js";
import type { TrtcCallback } from "../../src/callbacks/trtc.js";

const APP = 1400000001;

interface Script {
  enter?: { duplicate: boolean; banned: boolean; removal?: StepOutcome };
  exit?: { duplicate: boolean };
  dismiss?: { duplicate: boolean };
  banned?: string[];
  login?: { duplicate: boolean; banned: boolean; kick?: StepOutcome };
}

function ports(script: Script = {}) {
  const calls: string[] = [];
  const p: CallbackPorts = {
    async enterRoom(event) {
      calls.push(`enter ${event.userId} ${event.room} ${event.eventKey} ${event.eventSeconds}`);
      return script.enter ?? { duplicate: false, banned: false };
    },
    async exitRoom(event) {
      calls.push(`exit ${event.userId} ${event.room} ${event.eventKey}`);
      return script.exit ?? { duplicate: false };
    },
    async roomDismissed(event) {
      calls.push(`dismiss ${event.room} ${event.eventKey} ${event.eventSeconds}`);
      return script.dismiss ?? { duplicate: false };
    },
    async isBanned(userId) {
      calls.push(`banned? ${userId}`);
      return (script.banned ?? []).includes(userId);
    },
    async loggedIn(login) {
      calls.push(`login ${login.userId} ${login.eventKey}`);
      return script.login ?? { duplicate: false, banned: false };
    },
  };
  return { ports: p, calls };
}

const room = (kind: "enter" | "exit", roomId: number | string = 12345): TrtcCallback => ({
  sdkAppId: APP,
  kind,
  eventType: kind === "enter" ? 103 : 104,
  roomId,
  userId: "mallory",
  eventSeconds: 1_766_999_999,
  eventKey: "k1",
});
const beforeSend = (fromAccount: string, command = "C2C.CallbackBeforeSendMsg"): ChatCallback => ({
  sdkAppId: APP,
  command,
  kind: "before-send",
  fromAccount,
});
const state = (action: string): ChatCallback => ({
  sdkAppId: APP,
  command: "State.StateChange",
  kind: "state",
  action,
  userId: "mallory",
  eventKey: "s1",
});

describe("TRTC room events", () => {
  it("103 of a user not banned: recorded present, answered {code: 0}", async () => {
    const { ports: p, calls } = ports();
    expect(await decideTrtc(room("enter"), p)).toEqual({
      answer: { code: 0 },
      audit: { callbackEvent: "trtc:103", userId: "mallory", room: 12345, outcome: "present" },
    });
    expect(calls).toEqual(["enter mallory 12345 k1 1766999999"]);
  });

  it("103 of a banned user: removed when Tencent confirmed", async () => {
    const { ports: p } = ports({ enter: { duplicate: false, banned: true, removal: { ok: true } } });
    expect((await decideTrtc(room("enter", "room-a"), p)).audit).toEqual({
      callbackEvent: "trtc:103",
      userId: "mallory",
      room: "room-a",
      outcome: "removed",
    });
  });

  it("103 of a banned user whose removal failed: queued (retrying) or failed, with the reason and code", async () => {
    const failed = (retrying: boolean) =>
      ports({
        enter: {
          duplicate: false,
          banned: true,
          removal: { ok: false, reason: "tencent", errorCode: "InternalError", retrying },
        },
      }).ports;
    expect((await decideTrtc(room("enter"), failed(true))).audit).toMatchObject({
      outcome: "removal-queued",
      stepReason: "tencent",
      tencentCode: "InternalError",
    });
    expect((await decideTrtc(room("enter"), failed(false))).audit.outcome).toBe("removal-failed");
  });

  it("103 of a banned user when the object could make no call (no trtc): removal-unavailable", async () => {
    const { ports: p } = ports({ enter: { duplicate: false, banned: true } });
    expect((await decideTrtc(room("enter"), p)).audit.outcome).toBe("removal-unavailable");
  });

  it("a redelivered 103 is a duplicate, whatever else the object says", async () => {
    const { ports: p } = ports({ enter: { duplicate: true, banned: true, removal: { ok: true } } });
    expect((await decideTrtc(room("enter"), p)).audit.outcome).toBe("duplicate");
  });

  it("104: left, or a duplicate", async () => {
    const { ports: p, calls } = ports();
    expect((await decideTrtc(room("exit"), p)).audit).toEqual({
      callbackEvent: "trtc:104",
      userId: "mallory",
      room: 12345,
      outcome: "left",
    });
    expect(calls).toEqual(["exit mallory 12345 k1"]);
    expect((await decideTrtc(room("exit"), ports({ exit: { duplicate: true } }).ports)).audit.outcome).toBe(
      "duplicate",
    );
  });

  it("102 (room dismissed): the room's presence cleared, or a duplicate; no user named", async () => {
    const dismissal: TrtcCallback = {
      sdkAppId: APP,
      kind: "dismiss",
      eventType: 102,
      roomId: "stage",
      eventSeconds: 1_766_999_999,
      eventKey: "d1",
    };
    const { ports: p, calls } = ports();
    expect(await decideTrtc(dismissal, p)).toEqual({
      answer: { code: 0 },
      audit: { callbackEvent: "trtc:102", room: "stage", outcome: "dismissed" },
    });
    expect(calls).toEqual(["dismiss stage d1 1766999999"]);
    expect((await decideTrtc(dismissal, ports({ dismiss: { duplicate: true } }).ports)).audit.outcome).toBe(
      "duplicate",
    );
  });

  it("any other event: ignored, the object never asked", async () => {
    const { ports: p, calls } = ports();
    expect(await decideTrtc({ sdkAppId: APP, kind: "other", eventType: 201 }, p)).toEqual({
      answer: { code: 0 },
      audit: { callbackEvent: "trtc:201", outcome: "ignored" },
    });
    expect(calls).toEqual([]);
  });
});

describe("Chat before-send", () => {
  it("a banned sender is refused with the configured code; the answer is Tencent's shape", async () => {
    const { ports: p, calls } = ports({ banned: ["mallory"] });
    expect(await decideChat(beforeSend("mallory"), p, 120_001)).toEqual({
      answer: { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 120_001 },
      audit: { callbackEvent: "C2C.CallbackBeforeSendMsg", userId: "mallory", outcome: "refused" },
    });
    expect(calls).toEqual(["banned? mallory"]);
    expect((await decideChat(beforeSend("mallory", "Group.CallbackBeforeSendMsg"), p, 1)).answer.ErrorCode).toBe(1);
  });

  it("anyone else is allowed (ErrorCode 0)", async () => {
    const { ports: p } = ports({ banned: ["mallory"] });
    const decision = await decideChat(beforeSend("alice"), p, 120_001);
    expect(decision.answer).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
    expect(decision.audit.outcome).toBe("allowed");
  });
});

describe("Chat State.StateChange", () => {
  it("a banned user's Login is kicked again", async () => {
    const { ports: p, calls } = ports({ login: { duplicate: false, banned: true, kick: { ok: true } } });
    expect(await decideChat(state("Login"), p, 1)).toEqual({
      answer: { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 },
      audit: { callbackEvent: "State.StateChange:Login", userId: "mallory", outcome: "kicked" },
    });
    expect(calls).toEqual(["login mallory s1"]);
  });

  it("a kick that failed is queued or failed; one the object could not make is unavailable", async () => {
    const kick = (k?: StepOutcome) =>
      ports({ login: { duplicate: false, banned: true, ...(k ? { kick: k } : {}) } }).ports;
    expect(
      (await decideChat(state("Login"), kick({ ok: false, reason: "timeout", retrying: true }), 1)).audit,
    ).toMatchObject({
      outcome: "kick-queued",
      stepReason: "timeout",
    });
    expect(
      (await decideChat(state("Login"), kick({ ok: false, reason: "tencent", errorCode: 70107, retrying: false }), 1))
        .audit,
    ).toMatchObject({
      outcome: "kick-failed",
      tencentCode: "70107",
    });
    expect((await decideChat(state("Login"), kick(), 1)).audit.outcome).toBe("kick-unavailable");
  });

  it("a Login not banned, or a duplicate", async () => {
    expect((await decideChat(state("Login"), ports().ports, 1)).audit.outcome).toBe("logged-in");
    const dup = ports({ login: { duplicate: true, banned: true, kick: { ok: true } } }).ports;
    expect((await decideChat(state("Login"), dup, 1)).audit.outcome).toBe("duplicate");
  });

  it("Logout and Disconnect need nothing from the object", async () => {
    for (const action of ["Logout", "Disconnect"]) {
      const { ports: p, calls } = ports();
      expect((await decideChat(state(action), p, 1)).audit).toEqual({
        callbackEvent: `State.StateChange:${action}`,
        userId: "mallory",
        outcome: "noted",
      });
      expect(calls).toEqual([]);
    }
  });

  it("any other command: ignored, answered OK", async () => {
    const { ports: p, calls } = ports();
    const decision = await decideChat({ sdkAppId: APP, command: "Group.CallbackAfterSendMsg", kind: "other" }, p, 1);
    expect(decision).toEqual({
      answer: { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 },
      audit: { callbackEvent: "Group.CallbackAfterSendMsg", outcome: "ignored" },
    });
    expect(calls).toEqual([]);
  });
});
