//! Tiny PNG screenshots for the seeded tickets: an RGB canvas with filled rectangles, encoded as
//! a valid PNG (8-bit truecolour, no interlace, zlib via `flate2`, CRC-32 per chunk).
//!
//! The pictures are drawn in code so the repository carries no binary fixtures: a desktop, an
//! application window with a title bar, a sidebar and one of three contents (a bar chart, a
//! table, an error dialog). This module must never write outside its canvas (every write is
//! clipped) and never produce a file a browser would refuse.

use std::io::{self, Write as _};

use flate2::write::ZlibEncoder;
use flate2::Compression;

/// An RGB colour.
type Rgb = [u8; 3];

/// A picture being drawn.
struct Canvas {
    width: u32,
    height: u32,
    /// Row-major RGB, 3 bytes per pixel.
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        let count = (width as usize).saturating_mul(height as usize);
        Canvas { width, height, pixels: background.repeat(count) }
    }

    /// Fills the rectangle at (`x`, `y`) of `w` by `h` pixels, clipped to the canvas.
    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, colour: Rgb) {
        let x_end = x.saturating_add(w).min(self.width);
        let y_end = y.saturating_add(h).min(self.height);
        for row in y.min(y_end)..y_end {
            let start = (row as usize * self.width as usize + x as usize) * 3;
            let end = (row as usize * self.width as usize + x_end as usize) * 3;
            if let Some(span) = self.pixels.get_mut(start..end) {
                for pixel in span.chunks_exact_mut(3) {
                    pixel.copy_from_slice(&colour);
                }
            }
        }
    }

    /// A rectangle with a one-pixel border.
    fn framed(&mut self, x: u32, y: u32, w: u32, h: u32, fill: Rgb, border: Rgb) {
        self.fill(x, y, w, h, border);
        self.fill(x.saturating_add(1), y.saturating_add(1), w.saturating_sub(2), h.saturating_sub(2), fill);
    }

    /// The PNG file.
    fn encode(&self) -> io::Result<Vec<u8>> {
        let mut raw = Vec::with_capacity(self.pixels.len() + self.height as usize);
        for row in self.pixels.chunks_exact(self.width as usize * 3) {
            raw.push(0); // filter type 0: none
            raw.extend_from_slice(row);
        }
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(&raw)?;
        let idat = zlib.finish()?;

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&self.width.to_be_bytes());
        ihdr.extend_from_slice(&self.height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, truecolour, deflate, adaptive filters, no interlace

        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &ihdr)?;
        chunk(&mut png, b"IDAT", &idat)?;
        chunk(&mut png, b"IEND", &[])?;
        Ok(png)
    }
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> io::Result<()> {
    let len = u32::try_from(data.len()).map_err(|_| io::Error::other("PNG chunk too large"))?;
    out.extend_from_slice(&len.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    Ok(())
}

const WIDTH: u32 = 480;
const HEIGHT: u32 = 300;
const WHITE: Rgb = [255, 255, 255];
const GREY: Rgb = [200, 204, 210];
const DARK: Rgb = [60, 64, 72];

/// Screenshot `n` (1, 2 or 3; others wrap around): the help-desk app in one of three states.
pub(crate) fn screenshot(n: u8) -> io::Result<Vec<u8>> {
    let desktops: [Rgb; 3] = [[46, 110, 170], [38, 140, 110], [120, 72, 150]];
    let variant = usize::from(n.saturating_sub(1) % 3);
    let desktop = desktops.get(variant).copied().unwrap_or([80, 80, 80]);
    let mut c = Canvas::new(WIDTH, HEIGHT, desktop);
    // Taskbar.
    c.fill(0, HEIGHT - 22, WIDTH, 22, [28, 30, 36]);
    c.fill(6, HEIGHT - 17, 40, 12, [90, 160, 230]);
    // Window, title bar, its three buttons.
    c.framed(24, 16, 432, 250, [244, 245, 247], DARK);
    c.fill(25, 17, 430, 24, [52, 84, 140]);
    for (i, colour) in [[230, 90, 80], [235, 190, 70], [90, 190, 100]].into_iter().enumerate() {
        c.fill(420 - 16 * i as u32, 24, 10, 10, colour);
    }
    c.fill(36, 26, 120, 6, [210, 222, 240]); // the title, as a bar
                                             // Sidebar with menu entries, one selected.
    c.fill(25, 41, 96, 224, [226, 229, 234]);
    for i in 0..7u32 {
        let selected = i == 2;
        if selected {
            c.fill(25, 52 + 26 * i, 96, 20, [190, 208, 235]);
        }
        c.fill(34, 58 + 26 * i, 50 + (i * 13) % 30, 8, if selected { [40, 80, 150] } else { [130, 136, 146] });
    }
    match variant {
        0 => bar_chart(&mut c),
        1 => table(&mut c),
        _ => error_dialog(&mut c),
    }
    c.encode()
}

/// A panel with a bar chart.
fn bar_chart(c: &mut Canvas) {
    c.framed(136, 56, 304, 196, WHITE, GREY);
    c.fill(150, 70, 110, 8, DARK);
    c.fill(156, 232, 270, 2, DARK); // x axis
    c.fill(156, 96, 2, 138, DARK); // y axis
    let heights = [60u32, 96, 74, 120, 52, 108, 88, 130];
    let colours: [Rgb; 4] = [[66, 133, 244], [52, 168, 83], [251, 188, 5], [234, 67, 53]];
    for (i, h) in heights.iter().enumerate() {
        let colour = colours.get(i % colours.len()).copied().unwrap_or(DARK);
        c.fill(166 + 32 * i as u32, 232 - h, 22, *h, colour);
    }
}

/// A list of tickets with alternating rows and status badges.
fn table(c: &mut Canvas) {
    c.framed(136, 56, 304, 196, WHITE, GREY);
    c.fill(137, 57, 302, 22, [232, 236, 242]);
    for (x, w) in [(146u32, 40u32), (206, 90), (330, 50)] {
        c.fill(x, 64, w, 8, DARK);
    }
    let badges: [Rgb; 3] = [[52, 168, 83], [251, 188, 5], [234, 67, 53]];
    for row in 0..8u32 {
        let y = 80 + 21 * row;
        if row % 2 == 1 {
            c.fill(137, y, 302, 21, [246, 248, 251]);
        }
        c.fill(146, y + 7, 34, 7, [120, 126, 136]);
        c.fill(206, y + 7, 60 + (row * 37) % 60, 7, [90, 96, 106]);
        let badge = badges.get((row as usize * 7) % 3).copied().unwrap_or(DARK);
        c.fill(330, y + 5, 44, 11, badge);
    }
}

/// The app's main view, greyed out, under a modal error dialog.
fn error_dialog(c: &mut Canvas) {
    c.framed(136, 56, 304, 196, [236, 237, 240], GREY);
    for row in 0..9u32 {
        c.fill(150, 70 + 19 * row, 120 + (row * 29) % 140, 7, [200, 203, 209]);
    }
    c.framed(176, 100, 224, 110, WHITE, [120, 30, 30]);
    c.fill(177, 101, 222, 22, [200, 48, 48]);
    c.fill(186, 108, 90, 8, WHITE);
    c.fill(190, 134, 26, 26, [220, 60, 50]); // the error icon
    c.fill(201, 139, 4, 11, WHITE);
    c.fill(201, 153, 4, 3, WHITE);
    for (i, w) in [150u32, 120, 136].into_iter().enumerate() {
        c.fill(226, 136 + 12 * i as u32, w, 6, [90, 96, 106]);
    }
    c.framed(320, 182, 66, 20, [66, 133, 244], [40, 90, 180]);
    c.fill(338, 189, 30, 6, WHITE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn screenshots_are_valid_pngs() {
        for n in 1..=3 {
            let png = screenshot(n).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            // Walk the chunks, checking each CRC; inflate IDAT and check its size.
            let (mut at, mut idat) = (8, Vec::new());
            let mut kinds = Vec::new();
            while at < png.len() {
                let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
                let kind = &png[at + 4..at + 8];
                let data = &png[at + 8..at + 8 + len];
                let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
                let mut h = crc32fast::Hasher::new();
                h.update(kind);
                h.update(data);
                assert_eq!(h.finalize(), crc);
                if kind == b"IDAT" {
                    idat.extend_from_slice(data);
                }
                kinds.push(String::from_utf8(kind.to_vec()).unwrap());
                at += 12 + len;
            }
            assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
            let mut raw = Vec::new();
            flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
            assert_eq!(raw.len(), (HEIGHT * (1 + WIDTH * 3)) as usize);
            assert!(png.len() < 20_000, "small: {}", png.len());
        }
        assert_ne!(screenshot(1).unwrap(), screenshot(2).unwrap());
    }
}
