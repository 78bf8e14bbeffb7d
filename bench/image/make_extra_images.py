#!/usr/bin/python3
"""Generate tests/image/data: small synthetic images in layouts the shared
fixtures lack, plus expected.safetensors holding Pillow's reference result
for each (exif_transpose -- applied once, see reference() --, resize in the source mode with BICUBIC so the
shorter side is S, center crop S x S with round-half-even offsets, then
convert("RGB")), U8 [S,S,3] keyed by file name.  S = 32 keeps the file small.

Run by hand with /usr/bin/python3 (needs numpy + Pillow); tests only read
the output.  Pillow version used is recorded in the metadata.
"""
import json, os, struct, sys
import numpy as np
import PIL
from PIL import Image, ImageOps

S = 32
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                   'tests', 'image', 'data')


def base_rgb(w=80, h=60):
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // (w - 1)).astype(np.uint8)
    g = (y * 255 // (h - 1)).astype(np.uint8)
    b = (((x // 8 + y // 8) % 2) * 200 + 20).astype(np.uint8)
    return Image.fromarray(np.dstack([r, g, b]), 'RGB')


def alpha_plane(w=80, h=60):
    y, x = np.mgrid[0:h, 0:w]
    return Image.fromarray(((x + y) * 255 // (w + h - 2)).astype(np.uint8), 'L')


def reference(path):
    im = Image.open(path)
    im.load()
    # Pillow 9.4 already rotates TIFFs by their Orientation tag on load, and
    # exif_transpose would then rotate them a second time (a Pillow bug); the
    # upright image is the one rotated once.
    if im.format != 'TIFF':
        im = ImageOps.exif_transpose(im)
    w, h = im.size
    if w <= h:
        nw, nh = S, int(S * h / w)
    else:
        nw, nh = int(S * w / h), S
    im = im.resize((nw, nh), Image.BICUBIC)
    t, l = round((nh - S) / 2), round((nw - S) / 2)
    return np.asarray(im.convert('RGB'))[t:t + S, l:l + S].copy()


def make_all():
    rgb = base_rgb()
    rgba = rgb.copy(); rgba.putalpha(alpha_plane())
    gray = rgb.convert('L')
    pal = rgb.quantize(colors=37)
    files = {}
    files['rgba-lossless.webp'] = lambda p: rgba.save(p, lossless=True)
    files['rgb-lossy.webp'] = lambda p: rgb.save(p, quality=80)
    exif = Image.Exif(); exif[0x0112] = 6
    files['orient6.tiff'] = lambda p: rgb.save(p, exif=exif)
    files['lzw.tiff'] = lambda p: rgb.save(p, compression='tiff_lzw')
    files['palette.tiff'] = lambda p: pal.save(p)
    files['gray.tiff'] = lambda p: gray.save(p)
    files['bilevel.tiff'] = lambda p: gray.convert('1').save(p)
    files['rgb16.png'] = lambda p: _png16(p)
    files['interlaced.png'] = lambda p: _interlaced(p, rgb)
    files['gray-alpha.png'] = lambda p: Image.merge('LA', (gray, alpha_plane())).save(p)
    files['gray1.png'] = lambda p: gray.convert('1').save(p)
    files['palette-trns.png'] = lambda p: pal.save(p, transparency=3)
    exif3 = Image.Exif(); exif3[0x0112] = 3
    files['orient3-exif.png'] = lambda p: rgb.save(p, exif=exif3)
    files['transparent.gif'] = lambda p: pal.save(p, transparency=5)
    files['gray-identity.gif'] = lambda p: gray.save(p)
    files['palette8.bmp'] = lambda p: pal.save(p)
    files['gray8.bmp'] = lambda p: gray.save(p)
    files['tall-rgba.png'] = lambda p: rgba.transpose(Image.ROTATE_90).save(p)
    return files


def _write_png(p, w, h, depth, interlace, raw):
    """RGB PNG from already filtered scanlines (filter byte 0 on each)."""
    import zlib
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    ihdr = struct.pack('>IIBBBBB', w, h, depth, 2, 0, 0, interlace)
    with open(p, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
                chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def _png16(p):
    a = np.asarray(base_rgb()).astype(np.uint16) * 257 + 3
    # Pillow can't write 16-bit RGB PNG directly; write it with raw chunks.
    h, w, _ = a.shape
    raw = b''.join(b'\0' + a[y].astype('>u2').tobytes() for y in range(h))
    _write_png(p, w, h, 16, 0, raw)


def _interlaced(p, im):
    # Pillow writes no Adam7 PNGs (but reads them), so build one by hand.
    a = np.asarray(im)
    h, w, _ = a.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
              (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b''
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        raw += b''.join(b'\0' + row.tobytes() for row in sub)
    _write_png(p, w, h, 8, 1, raw)


def write_safetensors(path, tensors, meta):
    header, blobs, off = {'__metadata__': meta}, [], 0
    for k in sorted(tensors):
        b = tensors[k].tobytes()
        header[k] = {'dtype': 'U8', 'shape': list(tensors[k].shape),
                     'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, save in make_all().items():
        p = os.path.join(OUT, name)
        save(p)
        expected[name] = reference(p)
        print(f'{name:22s} {Image.open(p).mode:5s} {Image.open(p).size}')
    write_safetensors(os.path.join(OUT, 'expected.safetensors'), expected,
                      {'pillow': PIL.__version__, 'size': str(S),
                       'layout': 'HWC RGB uint8 after resize+crop'})


if __name__ == '__main__':
    sys.exit(main())
