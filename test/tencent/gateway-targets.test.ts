// The gateway's rule that no forwarded command acts on an admin account (src/tencent/gateway-targets.ts):
// pure, with a stand-in admin matcher.
import { describe, expect, it } from "vitest";
import { adminSetOf, isAdminLike } from "../../src/admins/set.js";
import { ACCOUNT_COMMANDS, refuseAdminTargets } from "../../src/tencent/gateway-targets.js";

const admins = [adminSetOf(["administrator"])];
const isAdmin = (id: string) => isAdminLike(id, admins);
const refuse = (name: string, body: unknown) => {
  const [service, command] = name.split("/") as [string, string];
  return refuseAdminTargets(service, command, body, isAdmin);
};

describe("refuseAdminTargets", () => {
  const cases: [string, unknown, string][] = [
    ["im_open_login_svc/kick", { UserID: "administrator" }, "UserID"],
    ["im_open_login_svc/kick", { UserID: "ＡＤＭＩＮＩＳＴＲＡＴＯＲ" }, "UserID"],
    ["im_open_login_svc/kick", { UserID: " Administrator\u00a0" }, "UserID"],
    [
      "im_open_login_svc/account_delete",
      { DeleteItem: [{ UserID: "x" }, { UserID: "administrator" }] },
      "DeleteItem[].UserID",
    ],
    ["im_open_login_svc/account_import", { UserID: "administrator", Nick: "pwned" }, "UserID"],
    ["im_open_login_svc/multiaccount_import", { Accounts: ["a", "administrator"] }, "Accounts[]"],
    ["im_open_login_svc/multiaccount_import", { AccountList: [{ UserID: "administrator" }] }, "AccountList[].UserID"],
    ["openconfigsvr/setnospeaking", { Set_Account: "administrator", C2CmsgNospeakingTime: 60 }, "Set_Account"],
    ["profile/portrait_set", { From_Account: "administrator", ProfileItem: [] }, "From_Account"],
  ];
  for (const [name, body, field] of cases) {
    it(`refuses ${name} naming an admin in ${field}`, async () => {
      const error = await refuse(name, body).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "CHAT_TARGET_ADMIN" });
      expect((error as Error).message).toContain(field);
      expect((error as Error).message).not.toContain("dministrator");
    });
  }

  it("lets the same commands act on other accounts, and says they act on accounts", async () => {
    expect(await refuse("im_open_login_svc/kick", { UserID: "mallory" })).toBe(true);
    expect(await refuse("im_open_login_svc/account_delete", { DeleteItem: [{ UserID: "mallory" }] })).toBe(true);
    // Odd shapes name nobody here (Tencent refuses them itself).
    expect(await refuse("im_open_login_svc/kick", { UserID: ["administrator"] })).toBe(true);
    expect(await refuse("im_open_login_svc/account_delete", { DeleteItem: { UserID: "administrator" } })).toBe(true);
  });

  it("leaves other commands alone (sending as the admin is the gateway's purpose)", async () => {
    expect(await refuse("openim/sendmsg", { From_Account: "administrator", To_Account: "bob" })).toBe(false);
    expect(await refuse("im_open_login_svc/account_check", { CheckItem: [{ UserID: "administrator" }] })).toBe(false);
    expect(Object.keys(ACCOUNT_COMMANDS)).toContain("openconfigsvr/setnospeaking");
  });
});
