/** Durations with their units in their names, defined once. */
export const MINUTE_SECONDS = 60;
export const DAY_SECONDS = 86_400;
export const SECOND_MS = 1000;
