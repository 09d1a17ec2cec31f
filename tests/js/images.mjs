// The first bytes of each image type the server verifies: enough for sniffing, not for decoding.

const bytes = (...parts) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...part].map((c) => c.charCodeAt(0)) : part)))

const uint32 = (value) => [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]

/** An ISO-BMFF file's start: an ftyp box of `major` and `compatible` brands, then `after` (the next box's bytes). */
function ftyp(major, compatible = [], after = "") {
  const size = 16 + 4 * compatible.length
  return bytes(uint32(size), "ftyp", major, uint32(0), ...compatible, after ? [...uint32(12), after, uint32(0)] : [])
}

export const image = {
  jpeg: bytes([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10], "Exif\0\0MM\0*", [0, 0, 0, 8]),
  png: bytes([0x89], "PNG\r\n\x1a\n", uint32(13), "IHDR"),
  gif87: bytes("GIF87a", [1, 0, 1, 0]),
  gif89: bytes("GIF89a", [1, 0, 1, 0]),
  webp: bytes("RIFF", [36, 0, 0, 0], "WEBPVP8 "),
  avif: ftyp("avif", ["mif1", "miaf"]),
  ftyp,
}
