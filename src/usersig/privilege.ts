/** TRTC room privileges carried by a PrivateMapKey, by name instead of raw bits. */
export const Privilege = {
  CreateRoom: 1,
  EnterRoom: 2,
  SendAudio: 4,
  RecvAudio: 8,
  SendVideo: 16,
  RecvVideo: 32,
  SendSubVideo: 64,
  RecvSubVideo: 128,
  All: 255,
} as const;

export type PrivilegeName = keyof typeof Privilege;

/** The names of the single bits set in `mask`, lowest first (`All` is never listed). */
export function privilegeNames(mask: number): Exclude<PrivilegeName, "All">[] {
  const names: Exclude<PrivilegeName, "All">[] = [];
  for (const [name, bit] of Object.entries(Privilege) as [PrivilegeName, number][]) {
    if (name !== "All" && (mask & bit) !== 0) names.push(name);
  }
  return names;
}
