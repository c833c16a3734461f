/**
 * Awaits a call that must fail (a promise, or a function returning one) and returns the error's name and message,
 * which is what an SDK exception is compared by; the test fails if the call succeeds.
 */
export async function failure(call: Promise<unknown> | (() => Promise<unknown>)): Promise<{ name: string; message: string }> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected the call to fail');
}
