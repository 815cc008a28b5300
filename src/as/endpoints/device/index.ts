export { deviceAuthorizationEndpoint } from './authorization.js';
export { deviceEndpoint, type DeviceStep } from './verification.js';
export { deviceSettings, deviceUrls, type DeviceSettings } from './settings.js';
export { deviceCodeHash, formatUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.js';
