/**
 * Text joined into bytes rather than one string: V8 refuses strings over 512 MiB (about 2.5 million dataset lines),
 * while a Buffer may be as long as memory allows. Parts are joined `batchChars` characters at a time.
 */
export function joinedBytes(parts: Iterable<string>, separator: string, batchChars = 16 * 1024 * 1024): Buffer {
  const chunks: Buffer[] = [];
  let batch: string[] = [];
  let chars = 0;
  const flush = () => {
    if (batch.length > 0) chunks.push(Buffer.from(batch.join(separator)));
    batch = [];
    chars = 0;
  };
  let first = true;
  for (const part of parts) {
    // A separator between batches too: the next batch starts with it.
    if (!first && batch.length === 0) chunks.push(Buffer.from(separator));
    batch.push(part);
    chars += part.length + separator.length;
    first = false;
    if (chars >= batchChars) flush();
  }
  flush();
  return Buffer.concat(chunks);
}
