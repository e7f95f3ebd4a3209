/** A configuration the broker cannot run with: every request that needs the bad part (the top level, or an app) fails with it until it is fixed. */
import { BrokerError } from "../shared/errors.js";

export type ConfigErrorCode = "CONFIG_ERROR";

export class ConfigError extends BrokerError<ConfigErrorCode> {
  override readonly name = "ConfigError";
}
