/**
 * A JPEG whose frame header claims another size than its data holds: the "image bomb" shape (a few bytes that a
 * decoder would expand to width × height × 4). Made from a real small JPEG, so every byte before the claim is valid.
 */
export function claimingSize(jpeg: Buffer, width: number, height: number): Buffer {
  const forged = Buffer.from(jpeg);
  for (let at = 2; at + 9 <= forged.length;) {
    const marker = forged[at + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      forged.writeUInt16BE(height, at + 5);
      forged.writeUInt16BE(width, at + 7);
      return forged;
    }
    at += 2 + forged.readUInt16BE(at + 2);
  }
  throw new Error("no baseline or progressive frame header in this JPEG");
}
