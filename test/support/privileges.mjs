// TRTC's eight room privileges by name, in bit order (1 … 128): what a PrivateMapKey of privileges
// 255 is said to grant. Written out here, not taken from src/, so that the tests check the broker's
// table against Tencent's list. JavaScript, so that the browser tests (test/e2e) share it.
export const ALL_PRIVILEGE_NAMES = [
  "CreateRoom",
  "EnterRoom",
  "SendAudio",
  "RecvAudio",
  "SendVideo",
  "RecvVideo",
  "SendSubVideo",
  "RecvSubVideo",
];
