import { faker } from '@faker-js/faker/locale/en';

/**
 * The one faker of the mock, English only: faker's main entry loads every locale, which was
 * most of what a unit-test file paid for its first answer (bench/RESULTS.md). Every user seeds
 * it right before drawing, so draws never depend on who drew before.
 */
export { faker };
export type FakerInstance = typeof faker;
