/**
 * usersig-broker/client: get Tencent RTC / Chat UserSigs and TRTC PrivateMapKeys from the broker in a
 * browser. No runtime dependencies; it only fetches (the signing core never ships to browsers).
 * See docs/client.md.
 */

export { CLIENT_ERROR_CODES, type ClientErrorCode, UserSigBrokerError } from "./errors.js";
export { createUserSigSource, PRIVILEGE_NAMES } from "./source.js";
export type {
  FetchLike,
  GuestOptions,
  GuestTicketStorage,
  PrivateMapKeyRequest,
  PrivateMapKeyResult,
  PrivilegeName,
  RoomSelector,
  Timers,
  UserSigResult,
  UserSigSource,
  UserSigSourceEvent,
  UserSigSourceEvents,
  UserSigSourceOptions,
} from "./types.js";
