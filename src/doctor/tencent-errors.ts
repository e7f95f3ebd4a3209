/**
 * Tencent's login error codes (Chat SDK, TRTC SDK and the Chat REST API), what Tencent says each
 * means, and what to check. The meanings are Tencent's own words, shortened; nothing here is
 * guessed. Sources, as published by Tencent:
 *
 * - Chat SDK error-code header, `V2TIMErrorCode.h` ("Copyright (c) 2021 Tencent", English
 *   comments): 6206 ERR_USER_SIG_EXPIRED and the account codes 70001 ... 70500
 *   (also the "Error Codes" page, https://trtc.io/document/34348).
 * - TRTC Web SDK, "module ErrorCode", account errors:
 *   https://web.sdk.qcloud.com/trtc/webrtc/doc/en/module-ErrorCode.html
 *   (70001: "If the signature expires immediately after generation, check whether the validity
 *   period is too short or set to 0"; 70003: "check whether the content of userSig has been
 *   truncated due to short buffer length").
 * - Chat REST API common error codes, 账号错误码 (account error codes):
 *   https://cloud.tencent.com/document/product/679/131708 (70009: a key or private key of
 *   another SDKAppID; 70016 and 70020: check that the SDKAppID and the Chat data center match).
 * - Chat FAQ on account authentication, "登录报错70009?":
 *   https://trtc.io/zh/document/34456 (70009: the key of another SDKAppID was mixed in).
 * - Chat login guide (ERR_USER_SIG_EXPIRED 6206 / ERR_SVR_ACCOUNT_USERSIG_EXPIRED 70001: generate
 *   a new UserSig and log in again): https://www.tencentcloud.com/document/product/1047/48867
 * - TRTC Web SDK v5, "ERROR_CODE": SERVER_ERROR = 5400, an RtcError whose `extraCode` carries the
 *   server's code (https://web.sdk.qcloud.com/trtc/webrtc/v5/doc/en/module-ERROR_CODE.html; the
 *   value is in the SDK's trtc.esm.js, trtc-sdk-v5 5.17.1).
 * - TRTC server error codes (https://trtc.io/document/35142; Chinese table:
 *   https://cloud.tencent.com/document/product/647/38313): -100018 "userSig verification failed"
 *   (Tencent's support answer adds: check the parameters with the console's UserSig tool,
 *   https://console.cloud.tencent.com/trtc/usersigtool), -100006 "failed to verify the permission
 *   ticket" (the PrivateMapKey of advanced permission control).
 */

import type { DoctorCode } from "./codes.js";

export interface TencentError {
  code: number;
  /** Tencent's constant name. */
  name: string;
  /** What Tencent's documentation says it means. */
  meaning: string;
  /** What to check, in order. */
  check: string[];
  /** The doctor findings that produce this error at Tencent (to connect `--error` with a token). */
  findings: DoctorCode[];
}

/** A token that is not a whole, plain UserSig: what Tencent calls a parsing failure. */
const MALFORMED: readonly DoctorCode[] = [
  "TRUNCATED",
  "DAMAGED",
  "WHITESPACE",
  "NOT_A_USERSIG",
  "JWT",
  "GUEST_TICKET",
  "URL_ENCODED",
  "WRONG_ALPHABET",
];

export const TENCENT_ERRORS: readonly TencentError[] = [
  {
    code: 5400,
    name: "ERROR_CODE.SERVER_ERROR",
    meaning:
      "TRTC Web SDK v5: the server refused the request (enterRoom, switchRole…). The error's extraCode is the server's code and says why.",
    check: [
      "Read the RtcError's extraCode and look it up: usersig-broker doctor --error <extraCode> (-100018: the UserSig; -100006: the PrivateMapKey; 70001, 70003, 70009…: the account codes).",
      "With usersig-broker/client/trtc, enterTrtcRoom() already gets a new UserSig for -100018 and 70001/70003/70009, and a new PrivateMapKey for -100006.",
    ],
    findings: [],
  },
  {
    code: -100018,
    name: "ERR_TRTC_USER_SIG_CHECK_FAILED",
    meaning:
      "TRTC: userSig verification failed. Check the SDKAppID, UserID and UserSig with the console's UserSig tool.",
    check: [
      "The token is whole and a UserSig (decode it): not cut short, wrapped, URL-encoded, or another token.",
      "It names the SDKAppID and the UserID that enterRoom() is given.",
      "It was signed with THIS app's secret key, and has not expired.",
    ],
    findings: [
      ...MALFORMED,
      "SDKAPPID_MISMATCH",
      "USERID_MISMATCH",
      "SIGNATURE_MISMATCH",
      "KEY_WHITESPACE",
      "EXPIRED",
      "NOT_YET_VALID",
    ],
  },
  {
    code: -100006,
    name: "ERR_TRTC_PRIVATE_MAP_KEY_CHECK_FAILED",
    meaning: "TRTC: failed to verify the permission ticket, i.e. the PrivateMapKey of advanced permission control.",
    check: [
      'The PrivateMapKey is for this room (roomId vs strRoomId: 7 and "7" are different rooms), this UserID and this SDKAppID (decode it).',
      "It has not expired: TRTC checks it at enterRoom and switchRole; ask for a lifetime that covers the session.",
      "Its privileges include what the call needs (an anchor needs more than an audience member).",
      "It is a PrivateMapKey, not the UserSig (doctor --used-as privateMapKey).",
    ],
    findings: ["USERSIG_AS_PRIVATEMAPKEY", "SDKAPPID_MISMATCH", "USERID_MISMATCH", "SIGNATURE_MISMATCH", "EXPIRED"],
  },
  {
    code: 6206,
    name: "ERR_USER_SIG_EXPIRED",
    meaning: "UserSig has expired. Get a new valid UserSig and log in again.",
    check: [
      "The token's expiry (decode it): issue time + lifetime, compared with the device's clock.",
      "Get a fresh UserSig from your backend before login, and again on onUserSigExpired; do not cache one past its expiry.",
      "A lifetime of 0 or a few seconds expires at once; a signing server whose clock is behind makes tokens that are already old.",
    ],
    findings: ["EXPIRED"],
  },
  {
    code: 70001,
    name: "ERR_SVR_ACCOUNT_USERSIG_EXPIRED",
    meaning:
      "UserSig expired. Generate a new one. If it expires immediately after generation, check whether the validity period is too short or set to 0.",
    check: [
      "The token's issue time, lifetime and expiry (decode it).",
      "The signing server's clock: the issue time is that clock's reading.",
      "The lifetime against the session: Tencent's REST API page suggests at least 24 hours for long-lived logins; the broker's defaults are 1 h for guests and 24 h for IdP users and API keys (README, Configuration, clamped to each app's maximum), and its browser client renews a UserSig before it expires, so a short lifetime only fails where nothing renews it.",
    ],
    findings: ["EXPIRED", "NOT_YET_VALID"],
  },
  {
    code: 70003,
    name: "ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED",
    meaning:
      "UserSig verification failed (parsing failed). Check whether the UserSig has been truncated, e.g. by a short buffer.",
    check: [
      "Whether the whole token arrived: compare its length where it is made and where it is used.",
      "Columns, buffers or form fields with a length limit; URL encoding of * - _.",
      "That it is a UserSig at all, and not a JWT, a guest ticket or another token.",
    ],
    findings: [...MALFORMED],
  },
  {
    code: 70009,
    name: "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY",
    meaning:
      "UserSig verification failed: it was probably signed with the key (or private key) of another SDKAppID. Check that the key used to sign matches the SDKAppID.",
    check: [
      "The secret key used to sign is the one shown for THIS SDKAppID in the console (not another app's, not the test app's).",
      "After the key was changed in the console, every signer uses the new key (redeploy, restart, clear caches).",
      "The key is used exactly as shown: no extra whitespace or line break.",
      "An old v1 (ECDSA, private key) UserSig sent to an app that now verifies HMAC, or the reverse.",
    ],
    findings: ["SIGNATURE_MISMATCH", "KEY_WHITESPACE", "V1_ECDSA"],
  },
  {
    code: 70013,
    name: "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID",
    meaning: "The UserID in the request does not match the UserID used to generate the UserSig.",
    check: [
      "login(userID, userSig) / enterRoom({ userId, userSig }) use the same UserID the token was signed for (decode it).",
      "Case, whitespace and prefixes: the comparison is exact.",
      "A token cached for one user and reused after switching users.",
    ],
    findings: ["USERID_MISMATCH"],
  },
  {
    code: 70014,
    name: "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID",
    meaning: "The SDKAppID in the request does not match the SDKAppID used to generate the UserSig.",
    check: [
      "The SDKAppID the client SDK is initialised with equals the one in the token (decode it).",
      "Every component (Chat, TRTC, calling/signalling plugins) is given the same SDKAppID.",
    ],
    findings: ["SDKAPPID_MISMATCH"],
  },
  {
    code: 70016,
    name: "ERR_SVR_ACCOUNT_USERSIG_PUBLICKEY_NOT_FOUND",
    meaning:
      "The key (public key) was not found while verifying the UserSig. Check that the SDKAppID and the Chat data center you connect to match.",
    check: [
      "The SDKAppID exists in the region (data center) the SDK connects to.",
      "For an old app with a public/private key pair: the key pair was created in the console.",
    ],
    findings: ["V1_ECDSA"],
  },
  {
    code: 70020,
    name: "ERR_SVR_ACCOUNT_SDKAPPID_NOT_FOUND",
    meaning:
      "SDKAppID not found; UserSig verification failed. Check that the SDKAppID and the Chat data center you connect to match.",
    check: [
      "The SDKAppID is typed correctly (decode the token to see which one it names).",
      "The app exists in the region (data center) the SDK or the REST call uses.",
    ],
    findings: ["SDKAPPID_MISMATCH"],
  },
  {
    code: 70052,
    name: "ERR_SVR_ACCOUNT_INVALID_USERSIG",
    meaning: "UserSig has expired (is no longer valid). Generate a new one and try again.",
    check: [
      "The token's expiry (decode it).",
      "Whether the user's login state was invalidated on purpose (REST API im_open_login_svc/kick makes older UserSigs stop working): sign a new one.",
    ],
    findings: ["EXPIRED"],
  },
  {
    code: 70107,
    name: "ERR_SVR_ACCOUNT_NOT_FOUND",
    meaning: "The requested user account does not exist (it has not been imported into Chat).",
    check: [
      "The UserID exists at Tencent: import it first (REST API account_import), or log it in once with the SDK.",
      "The UserID is spelled exactly as imported (decode the token to see which one it names).",
    ],
    findings: [],
  },
  {
    code: 70398,
    name: "ERR_SVR_ACCOUNT_COUNT_LIMIT",
    meaning: "The number of accounts created exceeds the limit of the Free Trial Edition. Upgrade to the Pro Edition.",
    check: [
      "The app's edition and its account limit in the console; nothing in the token causes this.",
      "Guests: every new guest is a new account, so guests of a public demo use up the limit quickly.",
    ],
    findings: [],
  },
];

export function tencentError(code: number): TencentError | undefined {
  return TENCENT_ERRORS.find((error) => error.code === code);
}
