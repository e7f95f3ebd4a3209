/**
 * The doctor: what is wrong with a token that failed to log in, and what Tencent's login error
 * codes mean. Pure (Web standards only, `now` an input), shared by the CLI and the inspector page.
 */

export { DoctorCode } from "./codes.js";
export {
  type DecodedV1,
  type Diagnosis,
  type DoctorInput,
  diagnose,
  type Finding,
  type TokenKind,
} from "./diagnose.js";
export { TENCENT_ERRORS, type TencentError, tencentError } from "./tencent-errors.js";
export { countdown, type DurationStyle, formatDuration, isExpired, isoTime } from "./time.js";
