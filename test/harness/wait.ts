/**
 * Polls `check` until it returns something truthy and resolves with it; after `timeoutMs` fails with `what` (or what
 * it returns then) and the last value seen, so a failing wait says what it was waiting for.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string | (() => string),
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()} (last: ${String(last)})`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
