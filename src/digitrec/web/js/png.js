// An 8-bit greyscale PNG encoder, for sending drawings.
//
// canvas.toBlob can only write colour: RGBA, four bytes a pixel. A drawing is
// black on white, so one grey byte a pixel says the same; the PNG is a third
// the size, and the server decodes it in half the time (no colour to inflate
// and convert). The compression is the browser's own zlib (CompressionStream).

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const GREY = 0; // PNG colour type: greyscale
const FILTER_NONE = 0; // each row starts with its filter type; rows are sent as they are

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Whether this browser can encode grey PNGs (CompressionStream: 2023 onwards in every engine). */
export function canEncodeGreyPng() {
  return typeof CompressionStream === "function";
}

/**
 * Grey levels of an opaque image, as Pillow's RGB -> L conversion computes them (ITU-R 601-2 luma,
 * rounded the same way), so the server sees exactly the levels it would read from an RGBA PNG.
 * @param {ImageData} image
 * @returns {Uint8Array} width * height levels, row by row
 */
export function greyLevels(image) {
  const { data, width, height } = image;
  const grey = new Uint8Array(width * height);
  for (let i = 0, j = 0; j < grey.length; i += 4, j++) {
    grey[j] = (data[i] * 19595 + data[i + 1] * 38470 + data[i + 2] * 7471 + 0x8000) >>> 16;
  }
  return grey;
}

/**
 * A PNG file of 8-bit grey levels.
 * @param {Uint8Array} grey width * height levels, row by row
 * @returns {Promise<Blob>}
 */
export async function encodeGreyPng(grey, width, height) {
  const rows = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    rows[y * (width + 1)] = FILTER_NONE;
    rows.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  // "deflate" is the zlib format (RFC 1950), which is what PNG's image data holds.
  const zlib = new Uint8Array(await new Response(new Blob([rows]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, GREY, 0, 0, 0], 8); // bit depth, colour type, compression, filter method, no interlace
  const parts = [new Uint8Array(SIGNATURE), chunk("IHDR", header), chunk("IDAT", zlib), chunk("IEND", new Uint8Array(0))];
  return new Blob(parts, { type: "image/png" });
}

/** length, type, data, CRC-32 of type and data */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
