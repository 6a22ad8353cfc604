/** A mutation resolver whose answer is `{ ok: true }` (okOutput) once the service call is done. */
export function thenOk<Options>(run: (options: Options) => Promise<unknown>) {
  return async (options: Options) => {
    await run(options);
    return { ok: true as const };
  };
}
