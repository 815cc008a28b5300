/** Injected clocks: everything that depends on time takes a Clock so tests can move it. */
export type Clock = () => number; // milliseconds since epoch

export const systemClock: Clock = () => Date.now();

export const epochSeconds = (clock: Clock): number => Math.floor(clock() / 1000);
