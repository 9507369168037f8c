/**
 * Waits until `predicate` holds (polling every 20 ms), or fails after
 * `timeoutMs` with `message` and the last value seen. Tests wait on
 * conditions, never on fixed sleeps.
 */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, message = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
