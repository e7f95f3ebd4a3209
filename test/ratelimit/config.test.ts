// The `rateLimits` member of an app: defaults, overrides, turning things off, and what is refused.
import { describe, expect, it } from "vitest";
import demo from "../../demo/config.json";
import { appSchema } from "../../src/config/schema.js";
import { DEFAULT_NEW_GUESTS_PER_DAY, DEFAULT_POLICIES, newGuestPolicy, policyFor } from "../../src/ratelimit/config.js";
import { rateLimitsSchema } from "../../src/ratelimit/schema.js";

const parse = (value: unknown) => rateLimitsSchema.parse(value);

describe("rateLimits config", () => {
  it("an app that says nothing gets the defaults", () => {
    const app = appSchema.parse({ sdkAppId: 1400000001 });
    const limits = app.rateLimits;
    expect(limits.enabled).toBe(true);
    expect(policyFor(limits, "usersig", "guest")).toEqual({
      windows: [
        { seconds: 60, limit: 10 },
        { seconds: 86_400, limit: 100 },
      ],
      failMode: "closed",
    });
    expect(policyFor(limits, "usersig", "idp")).toEqual(DEFAULT_POLICIES.idp);
    expect(policyFor(limits, "usersig", "apiKey")).toEqual({
      windows: [{ seconds: 60, limit: 600 }],
      failMode: "open",
    });
    expect(policyFor(limits, "privatemapkey", "guest")).toEqual(DEFAULT_POLICIES.guest);
    expect(policyFor(limits, "verify", "apiKey")).toEqual({ windows: [{ seconds: 60, limit: 600 }], failMode: "open" });
    expect(policyFor(limits, "admin", "apiKey")).toEqual({ windows: [{ seconds: 60, limit: 60 }], failMode: "open" });
    expect(policyFor(limits, "verify", "guest")).toBeUndefined();
    expect(newGuestPolicy(limits)).toEqual({
      windows: [{ seconds: 86_400, limit: DEFAULT_NEW_GUESTS_PER_DAY }],
      failMode: "closed",
    });
    expect(parse({})).toEqual(limits);
  });

  it("overrides one field and keeps the rest of the defaults", () => {
    const limits = parse({ usersig: { guest: { failMode: "open" }, idp: { windows: [{ seconds: 10, limit: 5 }] } } });
    expect(policyFor(limits, "usersig", "guest")).toEqual({ ...DEFAULT_POLICIES.guest, failMode: "open" });
    expect(policyFor(limits, "usersig", "idp")).toEqual({ windows: [{ seconds: 10, limit: 5 }], failMode: "open" });
    expect(policyFor(limits, "usersig", "apiKey")).toEqual(DEFAULT_POLICIES.apiKey);
    expect(policyFor(limits, "privatemapkey", "idp")).toEqual(DEFAULT_POLICIES.idp);
  });

  it("false turns off a policy, a route class, the budget; enabled: false turns off everything", () => {
    const some = parse({ usersig: { guest: false }, verify: false, newGuests: false });
    expect(policyFor(some, "usersig", "guest")).toBeUndefined();
    expect(policyFor(some, "usersig", "idp")).toEqual(DEFAULT_POLICIES.idp);
    expect(policyFor(some, "verify", "apiKey")).toBeUndefined();
    expect(newGuestPolicy(some)).toBeUndefined();
    const none = parse({ enabled: false });
    for (const routeClass of ["usersig", "privatemapkey", "verify", "admin"] as const) {
      for (const kind of ["guest", "idp", "apiKey"] as const) expect(policyFor(none, routeClass, kind)).toBeUndefined();
    }
    expect(newGuestPolicy(none)).toBeUndefined();
  });

  it("refuses what it cannot honour", () => {
    const bad = [
      { usersig: { guest: { windows: [] } } },
      { usersig: { guest: { windows: [{ seconds: 0, limit: 1 }] } } },
      { usersig: { guest: { windows: [{ seconds: 60, limit: 0 }] } } },
      { usersig: { guest: { windows: [{ seconds: 60.5, limit: 1 }] } } },
      { usersig: { guest: { windows: [{ seconds: 32 * 86_400, limit: 1 }] } } },
      {
        usersig: {
          guest: {
            windows: [
              { seconds: 60, limit: 1 },
              { seconds: 60, limit: 2 },
            ],
          },
        },
      },
      { usersig: { guest: { windows: [1, 2, 3, 4, 5].map((s) => ({ seconds: s, limit: 1 })) } } },
      { usersig: { guest: { failMode: "maybe" } } },
      { usersig: { guest: true } },
      { usersig: { visitor: false } },
      { verify: { guest: false } },
      { newGuests: { perDay: 0 } },
      { limits: {} },
    ];
    for (const value of bad) expect(rateLimitsSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
  });

  it("the demo configuration spells out the defaults", () => {
    const app = appSchema.parse(demo.apps[0]);
    expect(app.rateLimits).toEqual(parse({}));
    expect(JSON.stringify(demo.apps[0])).toContain('"rateLimits"');
  });
});
