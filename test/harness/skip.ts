/** Set by `.ci/run`: in CI a missing prerequisite fails the test instead of skipping it, so CI runs every test. */
export const REQUIRE_ALL_TESTS_ENV = "QI_REQUIRE_ALL_TESTS";

export const requireAllTests = (): boolean => process.env[REQUIRE_ALL_TESTS_ENV] === "1";

/**
 * Skips the current test (or, called in a `before` hook, its suite) because this machine lacks a prerequisite, and
 * prints why. Under `QI_REQUIRE_ALL_TESTS=1` it fails instead, naming the prerequisite.
 */
export function skipBecause(context: Mocha.Context, reason: string): never {
  if (requireAllTests()) throw new Error(`${REQUIRE_ALL_TESTS_ENV}=1, but this test would skip: ${reason}`);
  console.log(`      skipped: ${reason}`);
  return context.skip();
}
