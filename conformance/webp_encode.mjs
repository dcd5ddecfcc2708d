// Encodes raw RGBA bytes to a lossy WebP with libwebp's full encoder configuration (filter type, sharpness,
// token partitions, segments...), which Pillow's save() does not expose: libwebp compiled to WebAssembly in the
// npm package @jsquash/webp (pinned by conformance/gen_webp_fixtures.py, which installs it and calls this).
//
//   node conformance/webp_encode.mjs NPM_PREFIX IN.rgba WIDTH HEIGHT OPTIONS_JSON OUT.webp
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [prefix, input, width, height, options, output] = process.argv.slice(2);
const require = createRequire(prefix.endsWith('/') ? prefix : prefix + '/');
const { default: encode, init } = await import(pathToFileURL(require.resolve('@jsquash/webp/encode.js')).href);
await init(await WebAssembly.compile(readFileSync(require.resolve('@jsquash/webp/codec/enc/webp_enc_simd.wasm'))));
const data = new Uint8ClampedArray(readFileSync(input));
const out = await encode({ data, width: Number(width), height: Number(height), colorSpace: 'srgb' }, JSON.parse(options));
writeFileSync(output, Buffer.from(out));
