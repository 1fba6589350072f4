/** A paged AWS list call as items and the token of the next page. */
export type PageFetch<T> = (nextToken?: string) => Promise<{ items?: T[]; nextToken?: string }>;

/** Every item of a paged list call, page after page. */
export async function allPages<T>(fetch: PageFetch<T>): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetch(nextToken);
    items.push(...(page.items ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}
