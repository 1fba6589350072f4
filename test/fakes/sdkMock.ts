/**
 * Installs an aws-sdk-client-mock stub for the enclosing `describe`: created before its tests, reset after each,
 * removed after them. Stubs created at file load would replace each other across test files.
 */
export function mockedClient<T extends { reset(): unknown; restore(): unknown }>(create: () => T): () => T {
  let stub: T | undefined;
  before(() => {
    stub = create();
  });
  afterEach(() => stub?.reset());
  after(() => stub?.restore());
  return () => {
    if (!stub) throw new Error("the SDK mock exists only while its describe block runs");
    return stub;
  };
}
