// The room in a moderator route's path (src/http/path.ts parseRoomSegment): a numeric room is its
// number, a string room is "str:" and its strRoomId, percent-encoded. Plain Node.
import { describe, expect, it } from "vitest";
import { parseRoomSegment, STR_ROOM_PATH_PREFIX } from "../../src/http/path.js";

describe("a room in a path", () => {
  it("a number is a numeric room (RoomId), 1 to 4294967294", () => {
    expect(parseRoomSegment("1")).toBe(1);
    expect(parseRoomSegment("1234")).toBe(1234);
    expect(parseRoomSegment("4294967294")).toBe(4294967294);
  });

  it("str: and the ID is a string room (strRoomId), even one made of digits", () => {
    expect(STR_ROOM_PATH_PREFIX).toBe("str:");
    expect(parseRoomSegment("str:lobby")).toBe("lobby");
    expect(parseRoomSegment("str:1234")).toBe("1234");
    expect(parseRoomSegment("str%3Alobby")).toBe("lobby");
    expect(parseRoomSegment(`str:${encodeURIComponent("a room/with ünïcode")}`)).toBe("a room/with ünïcode");
    expect(parseRoomSegment(`str:${"x".repeat(64)}`)).toBe("x".repeat(64));
  });

  it("anything else is no room", () => {
    for (const raw of [
      "",
      "0",
      "01234",
      "4294967295",
      "99999999999",
      "-1",
      "1.5",
      "lobby",
      "str:",
      `str:${"x".repeat(65)}`,
      "str:%E0%A4%A",
      "str:%ED%A0%80",
      "STR:lobby",
    ]) {
      expect(parseRoomSegment(raw), raw).toBeUndefined();
    }
  });
});
