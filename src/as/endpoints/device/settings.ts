import type { Settings } from '../../../config/resolve.js';
import { configSchema, type Config } from '../../../config/schema.js';

export type DeviceSettings = Config['device'];

const cache = new WeakMap<object, DeviceSettings>();

/** The `device` section with its defaults (applied again: embedders may hand over a config built without the schema). */
export function deviceSettings(config: Pick<Config, 'device'>): DeviceSettings {
  let d = cache.get(config);
  if (!d) cache.set(config, (d = configSchema.shape.device.parse(config.device)));
  return d;
}

/** RFC 8628 §3.1 / §3.2: where the device asks, and where the user goes (`verification_uri`). */
export function deviceUrls(settings: Settings): { device_authorization: string; verification_uri: string } {
  return { device_authorization: `${settings.issuer}/device_authorization`, verification_uri: `${settings.issuer}/device` };
}
