/** JSON.parse that returns undefined instead of throwing, for input a schema checks next. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
